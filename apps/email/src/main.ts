import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { emailConfigSchema } from './config';

await runService({ service: 'email', config: loadConfig(emailConfigSchema), createApp });
