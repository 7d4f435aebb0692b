import type { Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { ProductConfig } from './config';

export interface ProductAppDeps {
  config: Pick<ProductConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The product service. The catalog: products, prices, and the availability inventory publishes. */
export function createApp({ config, db, logger }: ProductAppDeps): HttpApp {
  return createHttpApp({
    service: 'product',
    version: config.SERVICE_VERSION,
    description: 'The catalog: products, prices, and the availability inventory publishes.',
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
