import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { customerExists } from './db/customers.queries';
import { createVapidKeys, type VapidKeys } from './domain/vapid-keys';
import { registerNotificationRoutes } from './routes/notifications.routes';
import { registerSubscriptionRoutes } from './routes/subscriptions.routes';
import { registerVapidRoutes } from './routes/vapid.routes';

export interface PushAppOptions {
  /** The VAPID key pair; by default the one kept in the push schema (generated on first use). */
  vapidKeys?: VapidKeys;
  /** Hosts a subscription's endpoint may name (PUSH_ENDPOINT_HOSTS); by default any. */
  allowedHosts?: readonly string[];
  /**
   * Whether endpoints may be http or name a non-public address (development and test: NODE_ENV); by default
   * true, like `allowedHosts`: main.ts passes what the configuration says.
   */
  allowPrivateNetworks?: boolean;
}

/** The push service: Web Push subscriptions, and what was pushed to whom. */
export function createApp(context: AppContext, options: PushAppOptions = {}): HttpApp {
  const { prisma } = context.db;
  const http = createServiceApp(context, {
    service: 'push',
    description: 'Web Push subscriptions and delivered pushes.',
    isKnownCustomer: (id) => customerExists(prisma, id),
  });
  registerVapidRoutes(http.app, options.vapidKeys ?? createVapidKeys(prisma));
  registerSubscriptionRoutes(http.app, { prisma, allowedHosts: options.allowedHosts ?? ['*'], allowPrivateNetworks: options.allowPrivateNetworks ?? true });
  registerNotificationRoutes(http.app, { prisma });
  return http;
}
