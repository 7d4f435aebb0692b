import type { Shopper } from './session';

/** DESIGN.md, Identity in production: the services trust `X-Customer-Id` (header) or verify an ID token (jwt). */
export type IdentityMode = 'header' | 'jwt';

/**
 * The headers that tell a service who is shopping. Header mode sends the chosen customer's `X-Customer-Id`;
 * jwt mode forwards the shopper's own bearer token and never an `X-Customer-Id` (the services would ignore it,
 * and a storefront that sent one could be mistaken for a gateway that vouches for it).
 */
export function identityHeaders(shopper: Shopper, mode: IdentityMode): Record<string, string> {
  if (mode === 'jwt') {
    // A session from header mode carries no token: the services would answer 401, which signs the shopper out.
    return shopper.token ? { Authorization: `Bearer ${shopper.token}` } : {};
  }
  return { 'X-Customer-Id': shopper.customerId };
}

/** The bearer token of an `Authorization` header, if it is one. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
}

/**
 * The customer id an ID token names (the claim `IDENTITY_JWT_CLAIM`), read without verifying it: only to show
 * the shopper's name and address their own customer record. The services verify the token on every request.
 */
export function claimOf(token: string, claim: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const value = payload[claim];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
