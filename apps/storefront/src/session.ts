import { createHmac, timingSafeEqual } from 'node:crypto';

/** The shopper's session cookie (the whole site: every page needs to know who shops). */
export const SESSION_COOKIE = 'shop_session';

/**
 * Who is shopping. In header mode the customer they chose; in jwt mode also the ID token they signed in with,
 * which the storefront forwards and the services verify (it is not a secret from its own holder).
 */
export interface Shopper {
  customerId: string;
  name: string;
  token?: string;
}

interface SessionPayload {
  c: string;
  n: string;
  t?: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`storefront-session:${payload}`).digest('base64url');
}

/**
 * A stateless session: `v1.<payload>.<mac>`, the payload base64url JSON, the MAC an HMAC-SHA256 keyed with the
 * storefront's secret. Nothing is stored; a changed secret ends every session. Signing out removes the cookie
 * from the browser; a copy taken before stays valid until it expires (`maxAgeSeconds`).
 */
export function createSession(shopper: Shopper, secret: string, maxAgeSeconds: number, now = Date.now()): string {
  const body: SessionPayload = { c: shopper.customerId, n: shopper.name, e: Math.floor(now / 1000) + maxAgeSeconds, ...(shopper.token ? { t: shopper.token } : {}) };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `v1.${payload}.${mac(payload, secret)}`;
}

/** The shopper of a valid, unexpired session value; undefined for anything else (missing, tampered, expired). */
export function verifySession(value: string | undefined, secret: string, now = Date.now()): Shopper | undefined {
  const parts = value?.split('.');
  if (!parts || parts.length !== 3 || parts[0] !== 'v1') return undefined;
  const [, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  // Constant time: response timing must not reveal how much of a signature was right.
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<SessionPayload>;
    if (typeof body.c !== 'string' || typeof body.n !== 'string' || typeof body.e !== 'number' || body.e * 1000 <= now) return undefined;
    return { customerId: body.c, name: body.n, ...(typeof body.t === 'string' ? { token: body.t } : {}) };
  } catch {
    return undefined;
  }
}
