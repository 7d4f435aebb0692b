import type { Context } from 'hono';

/**
 * Whether a form post came from this site's own pages. A SameSite cookie already keeps other sites' forms from
 * carrying a session; this also refuses what the browser says came from elsewhere, which covers a login forced
 * on someone (login CSRF) and same-site subdomains. Browsers set `Sec-Fetch-Site` themselves (no page can
 * forge it); older ones send only `Origin`, and a request with neither is not a browser's cross-site form.
 */
export function isSameSiteRequest(c: Context): boolean {
  const site = c.req.header('Sec-Fetch-Site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = c.req.header('Origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === c.req.header('Host');
  } catch {
    return false;
  }
}
