import { DomainError, fail } from '@shop/http';
import type { Logger } from '@shop/observability';
import { createOidcVerifier, type OidcVerification } from './oidc-verifier';
import type { PushOptions } from './push.routes';

/** Checks a push request's `Authorization` header; throws the problem to answer when it is refused. */
export type PushAuthenticator = (authorization: string | undefined) => Promise<void>;

/**
 * The OIDC check every Pub/Sub push endpoint makes before it reads anything: a missing or refused token is
 * `401`; keys that cannot be fetched are `503` (nothing is known about the token, so Pub/Sub should retry).
 * With `verify: false` (the emulator) every request passes.
 */
export function createPushAuthenticator(push: PushOptions, logger: Logger): PushAuthenticator {
  if (!push.verify) return async function acceptUnverified() {};
  const verifier = createOidcVerifier({ audience: push.audience, serviceAccountEmail: push.serviceAccountEmail, certs: push.certs });
  return async function authenticatePush(authorization) {
    let verdict: OidcVerification;
    try {
      verdict = await verifier.verify(authorization);
    } catch (err) {
      logger.error({ err }, 'push token could not be verified: verification keys unavailable');
      throw new DomainError('unavailable', 'The push token cannot be verified right now.');
    }
    if (!verdict.ok) {
      logger.warn({ reason: verdict.reason, detail: verdict.detail }, 'push request refused: bad OIDC token');
      throw fail.unauthorized(verdict.reason === 'missing' ? 'The push request carries no bearer token.' : `The push request's OIDC token was refused (${verdict.reason}).`);
    }
  };
}
