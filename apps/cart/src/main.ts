import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { cartConfigSchema } from './config';
import { cartHandlers } from './events/handlers';
import { startCartReasking } from './reask/cart-reask';

const config = loadConfig(cartConfigSchema);

await runService({
  service: 'cart',
  config,
  createApp: (context) =>
    createApp(context, { streams: { perCustomer: config.CART_STREAMS_PER_CUSTOMER, perInstance: config.CART_STREAMS_PER_INSTANCE } }),
  handlers: ({ logger }) => cartHandlers({ logger }),
  startBackground: async ({ db, events, logger }) => startCartReasking(config, { db, databaseUrl: config.DATABASE_URL, publish: events.publish, logger }),
});
