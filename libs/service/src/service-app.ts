import type { ServiceEnv } from '@shop/config';
import type { ServiceName } from '@shop/contracts';
import { createIdempotencyStore, type Database } from '@shop/db';
import type { EventRuntime } from '@shop/events';
import { createHttpApp, createIdTokenVerifier, registerMetricsRoute, type HttpApp, type IdTokenVerifier, type RateLimitOptions } from '@shop/http';
import type { Logger } from '@shop/observability';

/** What an app is built from: the parts of the configuration apps read, and the connections. */
export interface AppContext {
  config: Pick<ServiceEnv, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'> & IdentitySettings & RateLimitSettings;
  db: Database;
  logger: Logger;
  events: EventRuntime;
}

/** How customers are identified; without `IDENTITY_MODE` (tests), header mode. */
export type IdentitySettings = Partial<
  Pick<ServiceEnv, 'IDENTITY_MODE' | 'IDENTITY_JWT_ISSUER' | 'IDENTITY_JWT_AUDIENCE' | 'IDENTITY_JWT_JWKS_URL' | 'IDENTITY_JWT_CLAIM'>
>;

/** The rate limit's settings; a context without them (most tests) has no rate limit, a loaded configuration always has them. */
export type RateLimitSettings = Partial<
  Pick<ServiceEnv, 'RATE_LIMIT_REQUESTS' | 'RATE_LIMIT_STAFF_REQUESTS' | 'RATE_LIMIT_WINDOW_SECONDS' | 'RATE_LIMIT_TRUST_CLIENT_ADDRESS'>
>;

/** The ID token verifier of `IDENTITY_MODE=jwt`, or undefined in header mode. */
function idTokenVerifierOf(config: IdentitySettings): IdTokenVerifier | undefined {
  if (config.IDENTITY_MODE !== 'jwt') return undefined;
  const { IDENTITY_JWT_ISSUER: issuer, IDENTITY_JWT_AUDIENCE: audience, IDENTITY_JWT_JWKS_URL: jwksUrl } = config;
  // The config schema requires all three in jwt mode; a hand-built config without them must not fall back to trusting headers.
  if (!issuer || !audience || !jwksUrl) throw new Error('IDENTITY_MODE=jwt needs IDENTITY_JWT_ISSUER, IDENTITY_JWT_AUDIENCE and IDENTITY_JWT_JWKS_URL');
  return createIdTokenVerifier({ issuer, audience, jwksUrl, claim: config.IDENTITY_JWT_CLAIM ?? 'customer_id' });
}

export interface ServiceAppOptions {
  service: ServiceName;
  description: string;
  /** True when the id names a customer this service knows; services without customer routes omit it. */
  isKnownCustomer?(customerId: string): Promise<boolean>;
}

/**
 * The HTTP app of a service before its own routes: tokens, customer identity (header or jwt mode, from the
 * config), `Idempotency-Key` storage in the
 * service's own schema, the per-principal rate limit, readiness of the database and the event transport, the event routes
 * (dead letters for admins; `POST /pubsub/push` on Pub/Sub), and `GET /metrics` over the event runtime's metrics,
 * which every request's duration is recorded into.
 */
export function createServiceApp({ config, db, logger, events }: AppContext, options: ServiceAppOptions): HttpApp {
  const http = createHttpApp({
    service: options.service,
    version: config.SERVICE_VERSION,
    description: options.description,
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    identity: {
      adminToken: config.ADMIN_API_TOKEN,
      supportToken: config.SUPPORT_API_TOKEN,
      isKnownCustomer: options.isKnownCustomer ?? (async () => false),
      verifyIdToken: idTokenVerifierOf(config),
    },
    idempotencyStore: createIdempotencyStore(db.prisma, options.service),
    readiness: { database: () => db.ping(), transport: () => events.ping() },
    rateLimit: rateLimitOf(config),
    metrics: events.metrics,
  });
  events.registerRoutes(http.app);
  registerMetricsRoute(http.app, events.metrics);
  return http;
}

function rateLimitOf(config: RateLimitSettings): RateLimitOptions | undefined {
  if (config.RATE_LIMIT_REQUESTS === undefined) return undefined;
  return {
    requests: config.RATE_LIMIT_REQUESTS,
    staffRequests: config.RATE_LIMIT_STAFF_REQUESTS ?? config.RATE_LIMIT_REQUESTS,
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS ?? 60,
    trustClientAddress: config.RATE_LIMIT_TRUST_CLIENT_ADDRESS ?? false,
  };
}
