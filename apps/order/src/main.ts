import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { orderConfigSchema } from './config';
import { orderHandlers } from './events/handlers';

await runService({ service: 'order', config: loadConfig(orderConfigSchema), createApp, handlers: ({ logger }) => orderHandlers({ logger }) });
