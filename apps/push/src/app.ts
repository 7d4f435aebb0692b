import type { Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { PushConfig } from './config';

export interface PushAppDeps {
  config: Pick<PushConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The push service. Web Push subscriptions and delivered pushes. */
export function createApp({ config, db, logger }: PushAppDeps): HttpApp {
  return createHttpApp({
    service: 'push',
    version: config.SERVICE_VERSION,
    description: 'Web Push subscriptions and delivered pushes.',
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    identity: {
      adminToken: config.ADMIN_API_TOKEN,
      supportToken: config.SUPPORT_API_TOKEN,
      // No customer routes here yet: the customer read model arrives with the routes that need it.
      isKnownCustomer: async () => false,
    },
    readiness: { database: () => db.ping() },
  });
}
