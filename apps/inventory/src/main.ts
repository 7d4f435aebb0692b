import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { inventoryConfigSchema } from './config';
import { inventoryHandlers } from './events/handlers';

await runService({ service: 'inventory', config: loadConfig(inventoryConfigSchema), createApp, handlers: ({ logger }) => inventoryHandlers({ logger }) });
