import { randomBytes } from 'node:crypto';
import { loadConfig } from '@shop/config';
import { metadataIdTokens, serveApp } from '@shop/http/web';
import { createLogger } from '@shop/observability';
import { createApp } from './app';
import { serviceUrlsOf, storefrontConfigSchema } from './config';
import { httpServiceClient } from './service-client';

const config = loadConfig(storefrontConfigSchema);
const logger = createLogger({ service: 'storefront', version: config.SERVICE_VERSION, level: config.LOG_LEVEL, projectId: config.GOOGLE_CLOUD_PROJECT });
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

// Locally a key of this process's own (config.ts refuses to go without one anywhere else): sessions end
// when the storefront restarts, and shoppers choose their customer again.
const sessionSecret = config.STOREFRONT_SESSION_SECRET ?? randomBytes(32).toString('base64url');
if (!config.STOREFRONT_SESSION_SECRET) logger.info('STOREFRONT_SESSION_SECRET is unset: sessions last until this process stops');

const app = createApp({
  // Cloud Run (K_SERVICE set by it) admits only invokers: the storefront proves it is one.
  services: httpServiceClient({ urls: serviceUrlsOf(config), ...(config.K_SERVICE ? { idTokens: metadataIdTokens() } : {}) }),
  logger,
  version: config.SERVICE_VERSION,
  identityMode: config.IDENTITY_MODE,
  jwtClaim: config.IDENTITY_JWT_CLAIM,
  sessionSecret,
  sessionMaxAgeSeconds: config.STOREFRONT_SESSION_MAX_AGE_SECONDS,
  customerPicker: config.STOREFRONT_CUSTOMER_PICKER,
  adminToken: config.ADMIN_API_TOKEN,
  supportToken: config.SUPPORT_API_TOKEN,
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
});

await serveApp({ fetch: app.fetch, port: config.PORT, hostname: config.HOST, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, closers: [] });
