import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { inventoryConfigSchema } from './config';
import { inventoryHandlers } from './events/handlers';
import { startInventoryBackground } from './background';

const config = loadConfig(inventoryConfigSchema);

await runService({
  service: 'inventory',
  config,
  createApp,
  handlers: ({ logger }) => inventoryHandlers({ logger, config }),
  async startBackground(context) {
    return startInventoryBackground(config, { db: context.db, databaseUrl: config.DATABASE_URL, publish: context.events.publish, logger: context.logger, metrics: context.events.metrics });
  },
});
