import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { customerConfigSchema } from './config';

await runService({ service: 'customer', config: loadConfig(customerConfigSchema), createApp });
