import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { withResponseHeaders, type ResponseHeader } from './early-headers';

/** The policy of every response that does not set its own: JSON needs nothing, and no page may frame it. */
export const DEFAULT_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Two years, the preload list's minimum; sent only over https (RFC 6797 §7.2: a browser ignores it over http). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=63072000; includeSubDomains';

/**
 * True when the client reached us over https: Cloud Run's front end terminates TLS and says so in
 * `X-Forwarded-Proto`; a direct request carries it in its URL. A forged header only adds HSTS to a response
 * the browser got over http, where it is ignored.
 */
export function isHttpsRequest(c: Context): boolean {
  const forwarded = c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase();
  // The scheme of an absolute URL, lowercase as the URL parser leaves it: no need to parse the whole URL.
  return forwarded ? forwarded === 'https' : c.req.url.startsWith('https:');
}

/** The headers a middleware puts on an empty answer: what Hono's `secureHeaders` adds, learned once. */
async function headersAddedBy(middleware: MiddlewareHandler): Promise<ResponseHeader[]> {
  const probe = new Hono();
  probe.use(middleware);
  probe.get('/', (c) => c.body(null, 204));
  return [...(await probe.request('http://probe.invalid/')).headers];
}

/**
 * Security headers on every response, problem documents and 404/405 included (the set Hono's `secureHeaders`
 * gives, run around everything else): `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, a
 * restrictive `Content-Security-Policy` with `frame-ancestors 'none'`, and HSTS when the request came over
 * https. A response that sets one of these itself (an HTML page with its own policy, the console's referrer
 * policy) keeps its own. They are given before the handler runs (`withResponseHeaders`, for why).
 */
export function securityHeaders(): MiddlewareHandler {
  const defaults = secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    referrerPolicy: 'no-referrer',
    xContentTypeOptions: 'nosniff',
    // Added below, only over https.
    strictTransportSecurity: false,
    overwrite: false,
  });
  let overHttp: ResponseHeader[] | undefined;
  let overHttps: ResponseHeader[] | undefined;
  return async function securityHeadersOf(c, next) {
    overHttp ??= await headersAddedBy(defaults);
    overHttps ??= [...overHttp, ['Strict-Transport-Security', STRICT_TRANSPORT_SECURITY]];
    await withResponseHeaders(c, next, isHttpsRequest(c) ? overHttps : overHttp);
  };
}
