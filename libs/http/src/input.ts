import type { Context } from 'hono';
import type { z } from 'zod';
import { DomainError, type FieldError } from './errors';

/** zod issues → the `errors[]` of a problem document. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix?: string): FieldError[] {
  const fieldOf = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || '(body)';
  return issues.flatMap((issue): FieldError[] =>
    // An unknown member is reported against its parent; name the member itself, once per key.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldOf([...issue.path, key]), message: 'is not a known field', code: issue.code }))
      : [{ field: fieldOf(issue.path), message: issue.message, code: issue.code }],
  );
}

/**
 * Reads the body as JSON and validates it. Not JSON at all (including an empty body) is `400`;
 * JSON of the wrong shape is `422` with every field problem listed.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let value: unknown;
  try {
    if (text.trim() === '') throw new SyntaxError('empty body');
    value = JSON.parse(text);
  } catch {
    throw new DomainError('bad_request', text.trim() === '' ? 'The request body is empty; a JSON document is required.' : 'The request body is not valid JSON.');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DomainError('validation', 'The request body does not match the schema.', { errors: fieldErrors(result.error.issues) });
  }
  return result.data;
}

/**
 * For a route that takes no body (a checkout, a cancel): none, or an empty one, is fine, but a body that is
 * sent must still be JSON (`400` otherwise), so a client's garbled request is refused rather than obeyed.
 */
export async function refuseNonJsonBody(c: Context): Promise<void> {
  const text = await c.req.text();
  if (text.trim() === '') return;
  try {
    JSON.parse(text);
  } catch {
    throw new DomainError('bad_request', 'The request body is not valid JSON.');
  }
}

/** Validates query parameters (all strings; schemas coerce). Any problem is `422`, as DESIGN.md asks. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) {
    throw new DomainError('validation', 'The query parameters are not valid.', { errors: fieldErrors(result.error.issues) });
  }
  return result.data;
}

/** Validates path parameters; a malformed id is a resource that cannot exist, so `404` unless told otherwise. */
export function parseParams<S extends z.ZodType>(c: Context, schema: S, kind: 'not_found' | 'bad_request' = 'not_found'): z.infer<S> {
  const result = schema.safeParse(c.req.param());
  if (!result.success) {
    throw new DomainError(kind, kind === 'not_found' ? 'No such resource.' : 'The path parameters are not valid.', {
      errors: fieldErrors(result.error.issues),
    });
  }
  return result.data;
}
