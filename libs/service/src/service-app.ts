import type { ServiceEnv } from '@shop/config';
import type { ServiceName } from '@shop/contracts';
import { createIdempotencyStore, type Database } from '@shop/db';
import type { EventRuntime } from '@shop/events';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';

/** What an app is built from: the parts of the configuration apps read, and the connections. */
export interface AppContext {
  config: Pick<ServiceEnv, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
  events: EventRuntime;
}

export interface ServiceAppOptions {
  service: ServiceName;
  description: string;
  /** True when the id names a customer this service knows; services without customer routes omit it. */
  isKnownCustomer?(customerId: string): Promise<boolean>;
}

/**
 * The HTTP app of a service before its own routes: tokens, customer identity, `Idempotency-Key` storage in the
 * service's own schema, readiness of the database and the event transport, and the event routes
 * (dead letters for admins; `POST /pubsub/push` on Pub/Sub).
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
    },
    idempotencyStore: createIdempotencyStore(db.pool, options.service),
    readiness: { database: () => db.ping(), transport: () => events.ping() },
  });
  events.registerRoutes(http.app);
  return http;
}
