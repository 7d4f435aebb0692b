import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { orderConfigSchema } from './config';
import { orderHandlers } from './events/handlers';
import { startBuyNowReasking } from './reask/buy-now-reask';

const config = loadConfig(orderConfigSchema);

await runService({
  service: 'order',
  config,
  createApp,
  handlers: ({ logger }) => orderHandlers({ logger }),
  startBackground: async ({ db, events, logger }) => startBuyNowReasking(config, { db, databaseUrl: config.DATABASE_URL, publish: events.publish, logger }),
});
