import type { Database } from '@shop/db';
import { createHttpApp, type HttpApp } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { EmailConfig } from './config';

export interface EmailAppDeps {
  config: Pick<EmailConfig, 'ADMIN_API_TOKEN' | 'SUPPORT_API_TOKEN' | 'SERVICE_VERSION' | 'BODY_LIMIT_BYTES'>;
  db: Database;
  logger: Logger;
}

/** The email service. Sends e-mail over SMTP and logs what was sent. */
export function createApp({ config, db, logger }: EmailAppDeps): HttpApp {
  return createHttpApp({
    service: 'email',
    version: config.SERVICE_VERSION,
    description: 'Sends e-mail over SMTP and logs what was sent.',
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
