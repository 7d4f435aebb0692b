import type { ServiceName } from '@shop/contracts';
import type { HttpApp, IdTokenSource } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { registerConsoleRoutes } from './console/console.routes';
import { httpServiceClient, type ServiceClient } from './console/service-client';
import { isActiveCustomer } from './db/customers.queries';
import { registerNotificationRoutes } from './routes/notifications.routes';

export interface NotificationAppOptions {
  /** How long a support console session lasts; `CONSOLE_SESSION_MAX_AGE_SECONDS`. */
  consoleSessionMaxAgeSeconds?: number;
  /** The other services' base URLs, for the console's journeys (`ORDER_SERVICE_URL`, `CART_SERVICE_URL`, …). */
  serviceUrls?: Partial<Record<ServiceName, string>>;
  /** Asks the other services in place of HTTP to `serviceUrls` (system tests run every app in one process). */
  services?: ServiceClient;
  /** On Cloud Run: proves the console's calls to the other services with ID tokens (they admit invokers only). */
  idTokens?: IdTokenSource;
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
  const services =
    options.services ??
    httpServiceClient(options.serviceUrls ?? {}, { service: 'notification', request: (path, init) => http.app.request(path, init) }, options.idTokens);
  registerConsoleRoutes(http.app, store, { sessionMaxAgeSeconds: options.consoleSessionMaxAgeSeconds ?? 8 * 60 * 60, services });
  return http;
}
