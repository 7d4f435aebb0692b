// Every service's app, event handlers and background work, as its main.ts composes them. Only this harness
// (not an app) imports across apps: apps never import each other.
import { isDevelopmentOrTest, loadConfig } from '@shop/config';
import type { ServiceName } from '@shop/contracts';
import type { Database } from '@shop/db';
import type { EventHandler, PublishFn } from '@shop/events';
import type { HttpApp } from '@shop/http';
import type { Logger, ServiceMetrics } from '@shop/observability';
import type { AppContext } from '@shop/service';
import { createApp as cartApp } from '../../apps/cart/src/app';
import { cartConfigSchema } from '../../apps/cart/src/config';
import { cartHandlers } from '../../apps/cart/src/events/handlers';
import { startCartReasking } from '../../apps/cart/src/reask/cart-reask';
import { createApp as customerApp } from '../../apps/customer/src/app';
import { createApp as emailApp } from '../../apps/email/src/app';
import { emailConfigSchema } from '../../apps/email/src/config';
import { startMailDelivery } from '../../apps/email/src/delivery/mail-delivery';
import { emailRequestedHandler } from '../../apps/email/src/events/email-requested.handler';
import { createMailbox, type Mailbox } from '../../apps/email/src/smtp/mail-catcher';
import { createApp as inventoryApp } from '../../apps/inventory/src/app';
import { inventoryConfigSchema } from '../../apps/inventory/src/config';
import { inventoryHandlers } from '../../apps/inventory/src/events/handlers';
import { startInventoryBackground } from '../../apps/inventory/src/background';
import { createApp as notificationApp } from '../../apps/notification/src/app';
import { notificationHandlers } from '../../apps/notification/src/events/handlers';
import { createApp as orderApp } from '../../apps/order/src/app';
import { orderConfigSchema } from '../../apps/order/src/config';
import { orderHandlers } from '../../apps/order/src/events/handlers';
import { startBuyNowReasking } from '../../apps/order/src/reask/buy-now-reask';
import { createApp as productApp } from '../../apps/product/src/app';
import { productHandlers } from '../../apps/product/src/events/handlers';
import { createApp as pushApp } from '../../apps/push/src/app';
import { pushConfigSchema } from '../../apps/push/src/config';
import { startPushDelivery } from '../../apps/push/src/delivery/push-delivery';
import { configuredVapidKeys, createVapidKeys } from '../../apps/push/src/domain/vapid-keys';
import { pushHandlers } from '../../apps/push/src/events/handlers';

export interface ModuleDeps {
  config: AppContext['config'];
  db: Database;
  logger: Logger;
  databaseUrl: string;
  /**
   * Extra environment for the services that read their own (email: SMTP_URL…, push: VAPID_…, cart and order:
   * CHECKOUT_RETRY_…, inventory: RESERVATION_… and CHECKOUT_RETRY_…).
   */
  env: Record<string, string | undefined>;
  /** A request to another service of this system (the console's journeys ask them all). */
  request(service: ServiceName, path: string, init?: RequestInit): Promise<Response>;
}

export interface BackgroundDeps {
  publish: PublishFn;
  metrics: ServiceMetrics;
}

/** One service as its main.ts wires it, made for one run. */
export interface ServiceModule {
  createApp(context: AppContext): HttpApp;
  handlers: EventHandler[];
  /** Work beside the HTTP app and the consumers (delivery loops); returns what stops it. */
  startBackground?(deps: BackgroundDeps): Promise<() => Promise<void>>;
  /** The embedded mail catcher's messages (email without SMTP_URL). */
  mailbox?: Mailbox;
}

const plain = (createApp: (context: AppContext) => HttpApp, handlers: EventHandler[] = []): ServiceModule => ({ createApp, handlers });

function emailModule(deps: ModuleDeps): ServiceModule {
  const config = loadConfig(emailConfigSchema, { DATABASE_URL: deps.databaseUrl, NODE_ENV: 'test', ...deps.env });
  const mailbox = config.SMTP_URL ? undefined : createMailbox();
  return {
    createApp: (context) => emailApp(context, { mailbox }),
    handlers: [emailRequestedHandler({ from: config.SMTP_FROM })],
    startBackground: ({ publish }) => startMailDelivery(config, { db: deps.db, databaseUrl: deps.databaseUrl, publish, logger: deps.logger, mailbox }),
    ...(mailbox ? { mailbox } : {}),
  };
}

function pushModule(deps: ModuleDeps): ServiceModule {
  const config = loadConfig(pushConfigSchema, { DATABASE_URL: deps.databaseUrl, NODE_ENV: 'test', ...deps.env });
  const vapidKeys = createVapidKeys(deps.db.prisma, configuredVapidKeys(config));
  return {
    createApp: (context) => pushApp(context, { vapidKeys, allowedHosts: config.PUSH_ENDPOINT_HOSTS, allowPrivateNetworks: isDevelopmentOrTest(config.NODE_ENV) }),
    handlers: pushHandlers(),
    startBackground: ({ publish }) => startPushDelivery(config, { db: deps.db, databaseUrl: deps.databaseUrl, publish, vapidKeys, logger: deps.logger }),
  };
}

function cartModule(deps: ModuleDeps): ServiceModule {
  const config = loadConfig(cartConfigSchema, { DATABASE_URL: deps.databaseUrl, NODE_ENV: 'test', ...deps.env });
  return {
    ...plain(cartApp, cartHandlers(deps)),
    startBackground: async ({ publish }) => startCartReasking(config, { db: deps.db, databaseUrl: deps.databaseUrl, publish, logger: deps.logger }),
  };
}

function orderModule(deps: ModuleDeps): ServiceModule {
  const config = loadConfig(orderConfigSchema, { DATABASE_URL: deps.databaseUrl, NODE_ENV: 'test', ...deps.env });
  return {
    ...plain(orderApp, orderHandlers(deps)),
    startBackground: async ({ publish }) => startBuyNowReasking(config, { db: deps.db, databaseUrl: deps.databaseUrl, publish, logger: deps.logger }),
  };
}

function inventoryModule(deps: ModuleDeps): ServiceModule {
  const config = loadConfig(inventoryConfigSchema, { DATABASE_URL: deps.databaseUrl, NODE_ENV: 'test', ...deps.env });
  return {
    createApp: inventoryApp,
    handlers: inventoryHandlers({ logger: deps.logger, config }),
    async startBackground({ publish, metrics }) {
      return startInventoryBackground(config, { db: deps.db, databaseUrl: deps.databaseUrl, publish, logger: deps.logger, metrics });
    },
  };
}

export const SERVICE_MODULES: Record<ServiceName, (deps: ModuleDeps) => ServiceModule> = {
  order: orderModule,
  product: () => plain(productApp, productHandlers()),
  inventory: inventoryModule,
  notification: (deps) => plain((context) => notificationApp(context, { services: (service, path, headers) => deps.request(service, path, { headers }) }), notificationHandlers(deps)),
  email: emailModule,
  cart: cartModule,
  customer: () => plain(customerApp),
  push: pushModule,
};
