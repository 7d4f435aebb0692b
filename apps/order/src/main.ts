import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { orderConfigSchema } from './config';

await runService({ service: 'order', config: loadConfig(orderConfigSchema), createApp });
