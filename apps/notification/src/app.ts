import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';

/** The notification service. Notifications to customers and their delivery status; the support console. */
export function createApp(context: AppContext): HttpApp {
  return createServiceApp(context, { service: 'notification', description: 'Notifications to customers and their delivery status; the support console.' });
}
