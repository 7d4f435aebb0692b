import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '@shop/db';
import { DomainError, type ErrorKind, type FieldError } from './errors';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://problems.shop.example/';

const KINDS: Record<ErrorKind, { status: ContentfulStatusCode; title: string }> = {
  bad_request: { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  validation: { status: 422, title: 'Validation failed' },
  too_many_requests: { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal server error' },
};

/** The HTTP status a kind maps to. */
export function statusOf(kind: ErrorKind): ContentfulStatusCode {
  return KINDS[kind].status;
}

/** A stable URI per kind: clients may switch on it. */
export function problemType(kind: ErrorKind): string {
  return `${TYPE_BASE}${kind.replaceAll('_', '-')}`;
}

const GENERIC_DETAIL = 'An unexpected error occurred.';

const KIND_BY_STATUS = new Map(Object.entries(KINDS).map(([kind, { status }]) => [status as number, kind as ErrorKind]));

/** Any thrown value → the kind it is, the detail a client may see, and headers to send. */
export function classify(err: unknown): { kind: ErrorKind; detail: string; error?: DomainError; headers?: Record<string, string> } {
  if (err instanceof DomainError) {
    // Even a deliberate `internal` failure keeps its message for the log: it may name internals.
    return { kind: err.kind, detail: err.kind === 'internal' ? GENERIC_DETAIL : err.message, error: err };
  }
  if (err instanceof HTTPException) {
    // Hono's own failures (malformed JSON in its validators, body limits): keep the status, say why.
    const kind = KIND_BY_STATUS.get(err.status) ?? (err.status >= 500 ? 'internal' : 'bad_request');
    return { kind, detail: kind === 'internal' ? GENERIC_DETAIL : err.message || KINDS[kind].title };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      kind: 'unavailable',
      detail: 'The database is unavailable for a moment. Try again shortly: sent again with the same Idempotency-Key, a request is never carried out twice.',
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    };
  }
  return { kind: 'internal', detail: GENERIC_DETAIL };
}

export function toProblem(err: unknown, instance: string, requestId?: string): { problem: Problem; headers: Record<string, string> } {
  const { kind, detail, error, headers } = classify(err);
  const problem: Problem = {
    // Extensions first: they add members, they never replace the standard ones.
    ...error?.extensions,
    type: problemType(kind),
    title: KINDS[kind].title,
    status: KINDS[kind].status,
    detail,
    instance,
    ...(requestId ? { request_id: requestId } : {}),
    ...(error?.errors?.length ? { errors: error.errors } : {}),
  };
  return { problem, headers: { ...headers, ...error?.headers } };
}

/** A problem document as a `Response`. */
export function problemResponse(err: unknown, instance: string, requestId?: string): Response {
  const { problem, headers } = toProblem(err, instance, requestId);
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
  });
}
