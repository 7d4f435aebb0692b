import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { productConfigSchema } from './config';
import { productHandlers } from './events/handlers';

await runService({ service: 'product', config: loadConfig(productConfigSchema), createApp, handlers: () => productHandlers() });
