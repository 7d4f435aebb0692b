export type { AppEnv, IdentityConfig } from './context';
export { createHttpApp, type HttpApp, type HttpAppOptions, type ReadinessCheck } from './create-app';
export { DomainError, fail, isDomainError, type DomainErrorOptions, type ErrorKind, type FieldError } from './errors';
export { idempotent, type IdempotencyStoreLike } from './idempotency';
export { customerIdOf, requireAccess, type Access, type Principal, type StaffRole } from './identity';
export { createIdTokenVerifier, type IdTokenOptions, type IdTokenVerifier } from './jwt-identity';
export { fieldErrors, parseParams, parseQuery, readJson, refuseNonJsonBody } from './input';
export { defineRoute, openApiDocument, type ResponseSpec, type RouteInput, type RouteSpec } from './openapi';
export { decodeCursor, encodeCursor, pageQuerySchema, toPage, type Page } from './pagination';
export { classify, PROBLEM_CONTENT_TYPE, problemResponse, problemType, statusOf, toProblem, type Problem } from './problem';
export { appendedClientAddress, type RateLimitOptions } from './rate-limit';
export { PROMETHEUS_CONTENT_TYPE, registerMetricsRoute } from './metrics.routes';
export { measureRequests, UNMATCHED_ROUTE } from './request-metrics';
// What a web front needs without the database (html, the same-site check, security headers, serving, ID tokens).
export * from './web';
