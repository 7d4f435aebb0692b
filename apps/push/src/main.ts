import { isDevelopmentOrTest, loadConfig } from '@shop/config';
import type { PrismaClient } from '@shop/db';
import { runService } from '@shop/service';
import { createApp } from './app';
import { pushConfigSchema } from './config';
import { startPushDelivery } from './delivery/push-delivery';
import { configuredVapidKeys, createVapidKeys } from './domain/vapid-keys';
import { pushHandlers } from './events/handlers';

const config = loadConfig(pushConfigSchema);
// Without VAPID_* the key pair is generated once and kept in the push schema: the app and the pusher both read it there.
const vapidKeysOf = (prisma: PrismaClient) => createVapidKeys(prisma, configuredVapidKeys(config));

await runService({
  service: 'push',
  config,
  handlers: () => pushHandlers(),
  createApp: (context) =>
    createApp(context, {
      vapidKeys: vapidKeysOf(context.db.prisma),
      allowedHosts: config.PUSH_ENDPOINT_HOSTS,
      allowPrivateNetworks: isDevelopmentOrTest(config.NODE_ENV),
    }),
  startBackground: (context) =>
    startPushDelivery(config, {
      db: context.db,
      databaseUrl: config.DATABASE_URL,
      publish: context.events.publish,
      vapidKeys: vapidKeysOf(context.db.prisma),
      logger: context.logger,
    }),
});
