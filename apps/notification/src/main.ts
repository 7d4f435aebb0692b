import { loadConfig } from '@shop/config';
import { metadataIdTokens } from '@shop/http';
import { runService } from '@shop/service';
import { createApp } from './app';
import { notificationConfigSchema, serviceUrlsOf } from './config';
import { notificationHandlers } from './events/handlers';

const config = loadConfig(notificationConfigSchema);

await runService({
  service: 'notification',
  config,
  handlers: ({ logger }) => notificationHandlers({ logger }),
  createApp: (context) =>
    createApp(context, {
      consoleSessionMaxAgeSeconds: config.CONSOLE_SESSION_MAX_AGE_SECONDS,
      serviceUrls: serviceUrlsOf(config),
      // Cloud Run (K_SERVICE set by it) admits only invokers: the console proves it is one.
      ...(config.K_SERVICE ? { idTokens: metadataIdTokens() } : {}),
    }),
});
