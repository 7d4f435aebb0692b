import type { Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { InventoryConfig } from './config';

export interface InventoryAppDeps {
  config: Pick<InventoryConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The inventory service. Stock levels and reservations: reserves all lines of a checkout or none. */
export function createApp({ config, db, logger }: InventoryAppDeps): HttpApp {
  return createHttpApp({
    service: 'inventory',
    version: config.SERVICE_VERSION,
    description: 'Stock levels and reservations: reserves all lines of a checkout or none.',
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
