import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { pushConfigSchema } from './config';

await runService({ service: 'push', config: loadConfig(pushConfigSchema), createApp });
