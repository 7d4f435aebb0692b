import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { DomainError, fail, type ErrorKind } from './errors';
import { classify, problemResponse, problemType, statusOf, toProblem } from './problem';

describe('statusOf', () => {
  it.each<[ErrorKind, number]>([
    ['bad_request', 400],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['method_not_allowed', 405],
    ['conflict', 409],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['validation', 422],
    ['internal', 500],
    ['unavailable', 503],
  ])('maps %s to %i', (kind, status) => {
    expect(statusOf(kind)).toBe(status);
    expect(problemType(kind)).toMatch(/^https:\/\/problems\.shop\.example\/[a-z-]+$/);
  });
});

describe('toProblem', () => {
  it('builds an RFC 9457 document from a DomainError, with errors[] and extensions', () => {
    const err = new DomainError('validation', 'Bad body.', {
      errors: [{ field: 'name', message: 'required' }],
      extensions: { retry_after_s: 3 },
    });
    expect(toProblem(err, '/things', 'req-1').problem).toEqual({
      type: 'https://problems.shop.example/validation',
      title: 'Validation failed',
      status: 422,
      detail: 'Bad body.',
      instance: '/things',
      request_id: 'req-1',
      errors: [{ field: 'name', message: 'required' }],
      retry_after_s: 3,
    });
  });

  it('never lets an extension replace a standard member', () => {
    const err = new DomainError('conflict', 'Taken.', { extensions: { status: 200, type: 'about:blank', detail: 'fine' } });
    expect(toProblem(err, '/x').problem).toMatchObject({ status: 409, type: 'https://problems.shop.example/conflict', detail: 'Taken.' });
  });

  it('hides the message of an unknown error', () => {
    const { problem } = toProblem(new TypeError('cannot read secretKey of undefined'), '/x');
    expect(problem).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' });
  });

  it('hides the message of a deliberate internal DomainError too', () => {
    expect(toProblem(new DomainError('internal', 'pg at 10.0.0.1 said no'), '/x').problem.detail).toBe('An unexpected error occurred.');
  });

  it('keeps the status of a Hono HTTPException', () => {
    expect(classify(new HTTPException(413, { message: 'too big' }))).toMatchObject({ kind: 'payload_too_large', detail: 'too big' });
    expect(classify(new HTTPException(502, { message: 'upstream at 10.0.0.9' }))).toMatchObject({
      kind: 'internal',
      detail: 'An unexpected error occurred.',
    });
  });

  it('carries the headers a failure implies', () => {
    const res = problemResponse(fail.unauthorized('who?'), '/x');
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  });
});
