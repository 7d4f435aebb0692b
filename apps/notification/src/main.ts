import { loadConfig } from '@shop/config';
import { runService } from '@shop/service';
import { createApp } from './app';
import { notificationConfigSchema } from './config';

await runService({ service: 'notification', config: loadConfig(notificationConfigSchema), createApp });
