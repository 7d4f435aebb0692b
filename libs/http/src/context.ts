import type { Logger } from '@shop/observability';
import type { IdempotencyStoreLike } from './idempotency';
import type { Principal } from './identity';
import type { IdTokenVerifier } from './jwt-identity';

/** Who may call, configured once per app by `createHttpApp`. */
export interface IdentityConfig {
  adminToken: string;
  supportToken: string;
  /** True when the id names a customer this service knows (its own table or its read model). */
  isKnownCustomer(customerId: string): Promise<boolean>;
  /**
   * Set in `IDENTITY_MODE=jwt`: customers prove who they are with an ID token this verifies, and
   * `X-Customer-Id` is ignored. Unset (header mode), the gateway's `X-Customer-Id` is trusted.
   */
  verifyIdToken?: IdTokenVerifier;
}

/** Hono's environment for every app: what middleware puts on the context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    identity: IdentityConfig;
    idempotencyStore: IdempotencyStoreLike | undefined;
    principal: Principal;
  };
}
