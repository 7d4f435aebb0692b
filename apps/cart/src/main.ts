import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { cartConfigSchema } from './config';
import { cartHandlers } from './events/handlers';

await runService({ service: 'cart', config: loadConfig(cartConfigSchema), createApp, handlers: ({ logger }) => cartHandlers({ logger }) });
