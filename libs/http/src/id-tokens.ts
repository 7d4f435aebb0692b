// On Cloud Run the services accept only callers with roles/run.invoker, proven by a Google-signed ID
// token whose audience is the service's URL. The callers' own requests (the support console's, the
// storefront's) carry a staff or shopper token in `Authorization`, so the ID token goes in
// `X-Serverless-Authorization`, which Cloud Run checks and then strips. The token comes from the metadata server, as the instance's service account's identity.

/** An ID token for `audience` (a service's base URL). */
export type IdTokenSource = (audience: string) => Promise<string>;

/** Tokens live an hour; one is fetched again this long before it expires. */
const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * ID tokens from the metadata server (`GCE_METADATA_HOST` when set, as Google's client libraries honour it),
 * one per audience, kept until shortly before they expire.
 */
export function metadataIdTokens(options: { host?: string | undefined } = {}): IdTokenSource {
  const host = options.host ?? process.env['GCE_METADATA_HOST'] ?? 'metadata.google.internal';
  const cache = new Map<string, { token: string; refreshAt: number }>();
  return async (audience) => {
    const cached = cache.get(audience);
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(audience)}`;
    const res = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`metadata server answered ${res.status} for an ID token`);
    const token = (await res.text()).trim();
    cache.set(audience, { token, refreshAt: expiryOf(token) - REFRESH_BEFORE_MS });
    return token;
  };
}

/** The token's `exp` in milliseconds; an unreadable one is used for a minute. */
function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof payload.exp === 'number') return payload.exp * 1000;
  } catch {
    // Not a JWT we can read: fall through.
  }
  return Date.now() + REFRESH_BEFORE_MS + 60_000;
}
