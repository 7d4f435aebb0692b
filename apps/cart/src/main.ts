import { loadConfig } from '@shop/config';
import { runService } from '@shop/http';
import { createApp } from './app';
import { cartConfigSchema } from './config';

await runService({ service: 'cart', config: loadConfig(cartConfigSchema), createApp });
