/**
 * The closed set of failure kinds domain code may raise. They know nothing about HTTP; libs/http's
 * `problem.ts` maps them to status codes in one place, at the edge. They live here, beside the other
 * contracts every service shares, so that domain code depends on no HTTP library.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'validation'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

/** One field-level problem, as listed in a problem document's `errors[]`. */
export interface FieldError {
  /** JSON pointer-ish dotted path to the offending field (`items.0.quantity`), or the parameter name. */
  field: string;
  message: string;
  code?: string;
}

export interface DomainErrorOptions {
  errors?: FieldError[];
  /** Extra members for the problem document (snake_case), e.g. `{ allow: 'GET, POST' }`. */
  extensions?: Record<string, unknown>;
  /** Response headers the failure implies (`Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A failure the caller can understand and act on; anything else is a 500 with nothing leaked. */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.errors = options.errors;
    this.extensions = options.extensions;
    this.headers = options.headers;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** Shorthand constructors, so call sites read as what happened. */
export const fail = {
  badRequest: (message: string, errors?: FieldError[]) => new DomainError('bad_request', message, { errors }),
  unauthorized: (message: string) =>
    new DomainError('unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="shop"' } }),
  forbidden: (message: string) => new DomainError('forbidden', message),
  notFound: (message: string) => new DomainError('not_found', message),
  conflict: (message: string, extensions?: Record<string, unknown>) => new DomainError('conflict', message, { extensions }),
  validation: (message: string, errors?: FieldError[]) => new DomainError('validation', message, { errors }),
};
