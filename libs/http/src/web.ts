// The pieces of this library a web front needs and nothing else: no database, no metrics, no OpenAPI. The
// storefront imports them from here (`@shop/http/web`); through the library's index its bundle also loaded
// pg, the Prisma client and the OpenTelemetry metrics SDK it never calls, because `problem.ts` imports
// `@shop/db` and a bundle keeps every external import of the modules it includes.
export { escapeHtml, html, SafeHtml } from './html';
export { isSameSiteRequest } from './same-site';
export { securityHeaders } from './security-headers';
export { serveApp, type RunningServer, type ServeOptions } from './serve';
export { metadataIdTokens, type IdTokenSource } from './id-tokens';
export type { Page } from './pagination';
