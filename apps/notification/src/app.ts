import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { registerConsoleRoutes } from './console/console.routes';
import { isActiveCustomer } from './db/customers.queries';
import { registerNotificationRoutes } from './routes/notifications.routes';

export interface NotificationAppOptions {
  /** How long a support console session lasts; `CONSOLE_SESSION_MAX_AGE_SECONDS`. */
  consoleSessionMaxAgeSeconds?: number;
}

/** The notification service. Notifications to customers and their delivery status; the support console. */
export function createApp(context: AppContext, options: NotificationAppOptions = {}): HttpApp {
  const http = createServiceApp(context, {
    service: 'notification',
    description: 'Notifications to customers and their delivery status; the support console at /console.',
    isKnownCustomer: (id) => isActiveCustomer(context.db.prisma, id),
  });
  const store = { prisma: context.db.prisma, publish: context.events.publish };
  registerNotificationRoutes(http.app, store);
  registerConsoleRoutes(http.app, store, { sessionMaxAgeSeconds: options.consoleSessionMaxAgeSeconds ?? 8 * 60 * 60 });
  return http;
}
