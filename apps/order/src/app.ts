import type { Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { OrderConfig } from './config';

export interface OrderAppDeps {
  config: Pick<OrderConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The order service. Orders and buy-now requests: creates orders from reserved stock, cancels them. */
export function createApp({ config, db, logger }: OrderAppDeps): HttpApp {
  return createHttpApp({
    service: 'order',
    version: config.SERVICE_VERSION,
    description: 'Orders and buy-now requests: creates orders from reserved stock, cancels them.',
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
