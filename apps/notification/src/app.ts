import type { Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { NotificationConfig } from './config';

export interface NotificationAppDeps {
  config: Pick<NotificationConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The notification service. Notifications to customers and their delivery status; the support console. */
export function createApp({ config, db, logger }: NotificationAppDeps): HttpApp {
  return createHttpApp({
    service: 'notification',
    version: config.SERVICE_VERSION,
    description: 'Notifications to customers and their delivery status; the support console.',
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
