import { loadConfig } from '@shop/config';
import { runService } from '@shop/http';
import { createApp } from './app';
import { emailConfigSchema } from './config';

await runService({ service: 'email', config: loadConfig(emailConfigSchema), createApp });
