import type { Context } from 'hono';
import { z } from 'zod';
import { unstorableTextReason } from '@shop/contracts';
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

/** `application/json` or any `application/*+json`, as DESIGN.md allows. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;
/** Deeper than any body a route takes; a deeper one is refused before anything walks it. */
const MAX_DEPTH = 32;
/** Enough to show what is wrong without a document the size of the body. */
const MAX_TEXT_ERRORS = 20;

/** A JSON media type (`application/json`, `application/*+json`), with UTF-8 if it names a charset. */
function isJsonMediaType(contentType: string): boolean {
  const [essence = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"(.*)"$/, '$1');
  // UTF-8 is the only encoding JSON has (RFC 8259 §8.1).
  return JSON_MEDIA_TYPE.test(essence) && (charset === undefined || charset === 'utf-8' || charset === 'utf8');
}

/** `415`: the body is not declared JSON; `Accept` says what is (RFC 9110 §15.5.16). */
function unsupportedMediaType(contentType: string | undefined): DomainError {
  const sent = contentType === undefined ? 'without a Content-Type' : `as ${contentType || 'an empty Content-Type'}`;
  return new DomainError('unsupported_media_type', `The request body must be sent as application/json (UTF-8), not ${sent}.`, {
    headers: { Accept: 'application/json' },
  });
}

/** The body's bytes as UTF-8 text; bytes that are not UTF-8 are `400`, never silently replaced. */
async function bodyText(c: Context): Promise<string> {
  // Bytes, not `c.req.text()`: that decoder replaces invalid sequences with U+FFFD instead of failing.
  const bytes = await c.req.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DomainError('bad_request', 'The request body is not valid UTF-8.');
  }
}

/**
 * Every string (member names too) PostgreSQL would refuse (U+0000) or alter (lone surrogates), and any value
 * nested deeper than `MAX_DEPTH`. Iterative, so no nesting depth can exhaust the stack.
 */
function unstorableValues(root: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const pending: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  const fieldOf = (path: string[]) => path.join('.') || '(body)';
  while (pending.length && errors.length < MAX_TEXT_ERRORS) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      const reason = unstorableTextReason(value);
      if (reason) errors.push({ field: fieldOf(path), message: reason, code: 'invalid_string' });
    } else if (value !== null && typeof value === 'object') {
      if (path.length >= MAX_DEPTH) {
        errors.push({ field: fieldOf(path), message: `is nested more than ${MAX_DEPTH} levels deep`, code: 'too_deep' });
        continue;
      }
      for (const [key, member] of Object.entries(value)) {
        const reason = unstorableTextReason(key);
        if (reason) errors.push({ field: fieldOf([...path, key]), message: `has a name that ${reason}`, code: 'invalid_key' });
        pending.push({ value: member, path: [...path, key] });
      }
    }
  }
  return errors;
}

/** The body as a JSON value: media type (`415`), UTF-8 and JSON syntax (`400`), storable text and depth (`422`). */
async function readJsonValue(c: Context): Promise<unknown> {
  const contentType = c.req.header('Content-Type');
  if (contentType !== undefined && !isJsonMediaType(contentType)) throw unsupportedMediaType(contentType);
  const text = await bodyText(c);
  if (text.trim() === '') throw new DomainError('bad_request', 'The request body is empty; a JSON document is required.');
  // A body with no Content-Type at all is not declared JSON either.
  if (contentType === undefined) throw unsupportedMediaType(contentType);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError('bad_request', 'The request body is not valid JSON.');
  }
  const errors = unstorableValues(value);
  if (errors.length) throw new DomainError('validation', 'The request body holds text or nesting that cannot be stored.', { errors });
  return value;
}

/**
 * Reads the body as JSON and validates it. A `Content-Type` that is not JSON is `415`; not UTF-8 or not JSON
 * at all (including an empty body) is `400`; U+0000, lone surrogates, nesting deeper than any route takes,
 * or JSON of the wrong shape is `422` with every field problem listed.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const result = schema.safeParse(await readJsonValue(c));
  if (!result.success) {
    throw new DomainError('validation', 'The request body does not match the schema.', { errors: fieldErrors(result.error.issues) });
  }
  return result.data;
}

const NoBody = z.strictObject({});

/**
 * For a route that takes no body (a checkout, a cancel, a delete): none, or an empty one, is fine whatever
 * its `Content-Type`; a body that is sent must be JSON (`415`, `400` otherwise) and an empty object (`422`),
 * so a client's garbled or misdirected request is refused rather than obeyed.
 */
export async function refuseNonJsonBody(c: Context): Promise<void> {
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength === 0 || /^\s*$/.test(new TextDecoder().decode(bytes))) return;
  const result = NoBody.safeParse(await readJsonValue(c));
  if (!result.success) {
    throw new DomainError('validation', 'This request takes no body; send none, or {}.', { errors: fieldErrors(result.error.issues) });
  }
}

/**
 * Validates query parameters (all strings; schemas coerce). Any problem is `422`, as DESIGN.md asks,
 * including a value PostgreSQL could not store (`q=%00`).
 */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const query = c.req.query();
  const errors = unstorableValues(query);
  const result = errors.length ? undefined : schema.safeParse(query);
  if (!result?.success) {
    throw new DomainError('validation', 'The query parameters are not valid.', { errors: result ? fieldErrors(result.error.issues) : errors });
  }
  return result.data;
}

/** Validates path parameters; a malformed or unstorable id is a resource that cannot exist, so `404` unless told otherwise. */
export function parseParams<S extends z.ZodType>(c: Context, schema: S, kind: 'not_found' | 'bad_request' = 'not_found'): z.infer<S> {
  const params = c.req.param();
  // A segment PostgreSQL could not store (`%00`) names nothing that can exist.
  const errors = unstorableValues(params);
  const result = errors.length ? undefined : schema.safeParse(params);
  if (!result?.success) {
    throw new DomainError(kind, kind === 'not_found' ? 'No such resource.' : 'The path parameters are not valid.', {
      errors: result ? fieldErrors(result.error.issues) : errors,
    });
  }
  return result.data;
}
