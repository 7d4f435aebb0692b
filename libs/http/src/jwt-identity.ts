import type { JWTVerifyGetKey } from 'jose';
import { DomainError, fail } from './errors';

type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;
/**
 * jose, imported by the first verification: every service bundles this module, and only those configured
 * for `IDENTITY_MODE=jwt` should hold its forty-odd modules in memory.
 */
const loadJose = () => (jose ??= import('jose'));

/** Where ID tokens come from and which claim names the customer (DESIGN.md, Identity in production). */
export interface IdTokenOptions {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** The claim holding the customer id (`customer_id` unless configured). */
  claim: string;
  /**
   * How long after a fetch an unknown `kid` may not fetch the key set again (jose's default, 30 s, unless
   * given): a stream of tokens with made-up key ids costs one fetch per cooldown, not one per request.
   */
  cooldownMs?: number;
}

/** Verifies an ID token and answers the customer id it names (lower case); throws a `DomainError`. */
export type IdTokenVerifier = (token: string) => Promise<string>;

// Asymmetric only: with a public key set, an HMAC algorithm would let anyone holding the public key sign.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const CLOCK_TOLERANCE_SECONDS = 30;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Marks a failure to obtain the keys, as opposed to a token the keys refuse. */
class KeySetUnavailable extends Error {}

/** The remote key set, with every failure to fetch or read it told apart from "no key for this token". */
function keySet({ createRemoteJWKSet, errors }: Jose, url: URL, cooldownMs: number | undefined): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, cooldownMs === undefined ? {} : { cooldownDuration: cooldownMs });
  return async function keyForToken(header, token) {
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      throw new KeySetUnavailable('the key set could not be fetched or read', { cause: err });
    }
  };
}

/** Why jose refused a token, in words a client may see (no key material, no token content). */
function reasonOf({ errors }: Jose, err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'it has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `its "${err.claim}" claim is not accepted (${err.reason})`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not accepted';
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return 'no known key matches it';
  return 'it is malformed';
}

/**
 * Verifies `Authorization: Bearer <ID token>` against the issuer's published keys: signature (asymmetric
 * algorithms only), issuer, audience, expiry (required) and the customer claim, which must be a UUID. The key
 * set is fetched on first use, cached, and fetched again for an unknown `kid` (key rotation). A token that
 * fails any check is `unauthorized`; a key set that cannot be fetched is `unavailable` (503), since the
 * token may well be valid.
 */
export function createIdTokenVerifier(options: IdTokenOptions): IdTokenVerifier {
  const jwksUrl = new URL(options.jwksUrl);
  let keys: JWTVerifyGetKey | undefined;
  return async function verifyIdToken(token) {
    const lib = await loadJose();
    keys ??= keySet(lib, jwksUrl, options.cooldownMs);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await lib.jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (err) {
      if (err instanceof KeySetUnavailable) {
        throw new DomainError('unavailable', 'The keys that verify ID tokens cannot be fetched; try again later.', {
          headers: { 'Retry-After': '5' },
          cause: err,
        });
      }
      throw fail.unauthorized(`The ID token is not accepted: ${reasonOf(lib, err)}.`);
    }
    const customerId = payload[options.claim];
    if (typeof customerId !== 'string' || !UUID.test(customerId)) {
      throw fail.unauthorized(`The ID token's "${options.claim}" claim must be a customer id (a UUID).`);
    }
    return customerId.toLowerCase();
  };
}
