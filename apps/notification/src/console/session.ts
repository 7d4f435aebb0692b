import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StaffRole } from '@shop/http';

/** The console's session cookie. Scoped to `/console`, so no API route ever receives it. */
export const SESSION_COOKIE = 'shop_console';
export const SESSION_PATH = '/console';

export interface StaffTokens {
  adminToken: string;
  supportToken: string;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Constant time: response timing must not reveal how much of a token or signature was right.
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The role a staff token belongs to, if any. Support staff and admins may use the console. */
export function roleOfToken(token: string, tokens: StaffTokens): StaffRole | undefined {
  if (equal(token, tokens.adminToken)) return 'admin';
  if (equal(token, tokens.supportToken)) return 'support';
  return undefined;
}

function tokenOf(role: StaffRole, tokens: StaffTokens): string {
  return role === 'admin' ? tokens.adminToken : tokens.supportToken;
}

function sign(payload: string, key: string): string {
  return createHmac('sha256', key).update(`console-session:${payload}`).digest('base64url');
}

/**
 * A stateless session: `v1.<role>.<expires>.<nonce>.<mac>`, the MAC keyed with the role's own token. It holds
 * no secret, needs no table, and every session ends when the token is rotated (the MAC no longer verifies)
 * or when it expires. Signing out removes the cookie from the browser; a copy taken before stays valid until
 * it expires, which `maxAgeSeconds` bounds.
 */
export function createSession(role: StaffRole, tokens: StaffTokens, maxAgeSeconds: number, now = Date.now()): string {
  const payload = `v1.${role}.${Math.floor(now / 1000) + maxAgeSeconds}.${randomBytes(12).toString('base64url')}`;
  return `${payload}.${sign(payload, tokenOf(role, tokens))}`;
}

/** The role of a valid, unexpired session value; undefined for anything else. */
export function verifySession(value: string | undefined, tokens: StaffTokens, now = Date.now()): StaffRole | undefined {
  const parts = value?.split('.');
  if (!parts || parts.length !== 5 || parts[0] !== 'v1') return undefined;
  const [, role, expires, , mac] = parts as [string, string, string, string, string];
  if (role !== 'admin' && role !== 'support') return undefined;
  if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= now) return undefined;
  return equal(mac, sign(parts.slice(0, 4).join('.'), tokenOf(role, tokens))) ? role : undefined;
}
