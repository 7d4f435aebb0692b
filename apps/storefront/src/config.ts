import { isDevelopmentOrTest, LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN, nodeEnvSchema } from '@shop/config';
import { SERVICES } from '@shop/contracts';
import { z } from 'zod';

/** The services the storefront calls, each over its public HTTP API. */
export const SHOP_SERVICES = ['product', 'cart', 'order', 'customer', 'notification', 'push'] as const;
export type ShopService = (typeof SHOP_SERVICES)[number];

/** The storefront's port when run locally (DESIGN.md's service table); on Cloud Run, `$PORT`. */
export const STOREFRONT_LOCAL_PORT = 3008;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

type ServiceUrlsShape = { [S in ShopService as `${Uppercase<S>}_SERVICE_URL`]: z.ZodDefault<z.ZodURL> };

/** `PRODUCT_SERVICE_URL`, `CART_SERVICE_URL`, …: each defaults to the service's local port, as `npm start` runs them. */
const serviceUrlsEnv = Object.fromEntries(
  SHOP_SERVICES.map((s) => [`${s.toUpperCase()}_SERVICE_URL`, httpUrl.default(`http://127.0.0.1:${SERVICES[s].localPort}`)]),
) as ServiceUrlsShape;

/**
 * The storefront's environment. It has no database and no events: the services' URLs, how shoppers prove who
 * they are (IDENTITY_MODE as the services read it), and the session cookie's key.
 *
 * - `STOREFRONT_SESSION_SECRET` keys the HMAC of the session cookie. Unset in development and test, each
 *   process makes a random one: sessions then end when the storefront restarts. Required anywhere else.
 * - `SUPPORT_API_TOKEN` lists the customers a shopper may sign in as, `ADMIN_API_TOKEN` creates one (header
 *   mode only: with `IDENTITY_MODE=jwt` a shopper signs in with their own ID token and neither is needed).
 * - `STOREFRONT_CUSTOMER_PICKER`: whether header mode lets a shopper sign in by choosing a customer. Choosing
 *   is not authenticating: on by default only in development and test; anywhere else a public shop runs with
 *   `IDENTITY_MODE=jwt`, or sets it to true knowingly (a demo whose customers are all made up).
 */
export const storefrontConfigSchema = z
  .object({
    NODE_ENV: nodeEnvSchema('development'),
    PORT: z.coerce.number().int().min(1).max(65_535).default(STOREFRONT_LOCAL_PORT),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    SERVICE_VERSION: z.string().optional(),
    K_REVISION: z.string().optional(),
    // Set by Cloud Run: the services there admit only invokers, so requests carry an ID token too.
    K_SERVICE: z.string().optional(),
    GOOGLE_CLOUD_PROJECT: z.string().optional(),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(9_000),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(1024 * 1024).default(64 * 1024),
    ADMIN_API_TOKEN: z.string().min(16).optional(),
    SUPPORT_API_TOKEN: z.string().min(16).optional(),
    IDENTITY_MODE: z.enum(['header', 'jwt']).default('header'),
    IDENTITY_JWT_CLAIM: z.string().min(1).default('customer_id'),
    STOREFRONT_SESSION_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
    STOREFRONT_SESSION_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 60 * 60).default(7 * 24 * 60 * 60),
    STOREFRONT_CUSTOMER_PICKER: z.stringbool({ error: 'must be true or false' }).optional(),
    ...serviceUrlsEnv,
  })
  .superRefine(
    (env, ctx) => {
      if (isDevelopmentOrTest(env.NODE_ENV)) return;
      const where = `with NODE_ENV=${env.NODE_ENV} (only development and test fall back to local values)`;
      if (!env.STOREFRONT_SESSION_SECRET) ctx.addIssue({ code: 'custom', path: ['STOREFRONT_SESSION_SECRET'], message: `is required ${where}` });
      for (const key of ['ADMIN_API_TOKEN', 'SUPPORT_API_TOKEN'] as const) {
        if (env[key] === LOCAL_ADMIN_TOKEN || env[key] === LOCAL_SUPPORT_TOKEN) {
          ctx.addIssue({ code: 'custom', path: [key], message: `must not be a printed local default ${where}` });
        }
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  .transform((env) => {
    const local = isDevelopmentOrTest(env.NODE_ENV);
    return {
      ...env,
      SERVICE_VERSION: env.SERVICE_VERSION ?? env.K_REVISION ?? process.env['npm_package_version'] ?? '0.1.0',
      STOREFRONT_CUSTOMER_PICKER: env.STOREFRONT_CUSTOMER_PICKER ?? local,
      ADMIN_API_TOKEN: env.ADMIN_API_TOKEN ?? (local ? LOCAL_ADMIN_TOKEN : undefined),
      SUPPORT_API_TOKEN: env.SUPPORT_API_TOKEN ?? (local ? LOCAL_SUPPORT_TOKEN : undefined),
    };
  });
export type StorefrontConfig = z.infer<typeof storefrontConfigSchema>;

/** The services' base URLs, by name, from the loaded configuration. */
export function serviceUrlsOf(config: StorefrontConfig): Record<ShopService, string> {
  return Object.fromEntries(SHOP_SERVICES.map((s) => [s, config[`${s.toUpperCase() as Uppercase<typeof s>}_SERVICE_URL`]])) as Record<ShopService, string>;
}
