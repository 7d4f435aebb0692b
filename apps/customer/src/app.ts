import { createIdempotencyStore, type Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { CustomerConfig } from './config';
import { customerExists } from './db/customers.queries';
import { registerCustomerRoutes } from './routes/customers.routes';

export interface CustomerAppDeps {
  config: Pick<CustomerConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The customer service: the system's customers, their names and e-mail addresses. */
export function createApp({ config, db, logger }: CustomerAppDeps): HttpApp {
  const http = createHttpApp({
    service: 'customer',
    version: config.SERVICE_VERSION,
    description: 'Customers: identities the other services learn from customer events.',
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    identity: {
      adminToken: config.ADMIN_API_TOKEN,
      supportToken: config.SUPPORT_API_TOKEN,
      isKnownCustomer: (id) => customerExists(db.prisma, id),
    },
    idempotencyStore: createIdempotencyStore(db.pool, 'customer'),
    readiness: { database: () => db.ping() },
  });
  registerCustomerRoutes(http.app, db.prisma);
  return http;
}
