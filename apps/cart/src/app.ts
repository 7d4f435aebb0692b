import type { Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { CartConfig } from './config';

export interface CartAppDeps {
  config: Pick<CartConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The cart service. Carts: lines, checkout, and the checkout outcome. */
export function createApp({ config, db, logger }: CartAppDeps): HttpApp {
  return createHttpApp({
    service: 'cart',
    version: config.SERVICE_VERSION,
    description: 'Carts: lines, checkout, and the checkout outcome.',
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
