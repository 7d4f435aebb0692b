import { z } from 'zod';
import { DEFAULT_NODE_ENV, isDevelopmentOrTest, nodeEnvSchema } from './node-env';

/** Printed by `npm start` and used when the variables are unset in development and test. */
export const LOCAL_ADMIN_TOKEN = 'local-admin-token';
export const LOCAL_SUPPORT_TOKEN = 'local-support-token';

const port = z.coerce.number().int().min(1).max(65_535);

// Read alike by a service and a Cloud Function (function-env.ts).
export const databaseUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' });
export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info');
/**
 * SERVICE_VERSION as set; Cloud Run's K_REVISION (the revision it runs, e.g. `cart-00042-xyz`, set on every
 * container) when not; locally the package's version. What `GET /`, the OpenAPI document and Error Reporting
 * show, so that each revision reports itself rather than all of them one package version.
 */
export const serviceVersionEnv = {
  SERVICE_VERSION: z.string().optional(),
  K_REVISION: z.string().optional(),
};

export function withServiceVersion<E extends { SERVICE_VERSION?: string | undefined; K_REVISION?: string | undefined }>(env: E): E & { SERVICE_VERSION: string } {
  return { ...env, SERVICE_VERSION: env.SERVICE_VERSION ?? env.K_REVISION ?? process.env['npm_package_version'] ?? '0.1.0' };
}

/**
 * The variables every service reads. Cloud Run sets `PORT`; locally each service has its own default.
 * In development and test (NODE_ENV, development when unset) the tokens fall back to the printed local values;
 * anywhere else (production, staging, …) they are required and must not be those values.
 */
export function serviceEnvSchema(defaultPort: number) {
  return z
    .object({
      NODE_ENV: nodeEnvSchema(DEFAULT_NODE_ENV.service),
      PORT: port.default(defaultPort),
      HOST: z.string().default('0.0.0.0'),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
      ADMIN_API_TOKEN: z.string().min(16).optional(),
      SUPPORT_API_TOKEN: z.string().min(16).optional(),
      LOG_LEVEL: logLevel,
      BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(10 * 1024 * 1024).default(1024 * 1024),
      SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(9_000),
      // Per principal and instance; a shopper makes tens of requests a minute even in a flash sale. 0 turns it off.
      RATE_LIMIT_REQUESTS: z.coerce.number().int().min(0).max(1_000_000).default(600),
      // One staff token serves a whole team and its scripts (seeding, imports), hence the larger allowance.
      RATE_LIMIT_STAFF_REQUESTS: z.coerce.number().int().min(0).max(1_000_000).default(6_000),
      RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
      // Only behind a proxy that appends the client's address (Cloud Run's front end), never behind a gateway.
      RATE_LIMIT_TRUST_CLIENT_ADDRESS: z.stringbool({ error: 'must be true or false' }).default(false),
      GOOGLE_CLOUD_PROJECT: z.string().optional(),
      ...serviceVersionEnv,
      // Set by Cloud Run on every service: its presence is how a service knows it runs on Google Cloud (traces to
      // Cloud Trace unless told otherwise, metrics to Cloud Monitoring).
      K_SERVICE: z.string().optional(),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
      // Overrides the guess from the two above: otlp, cloud-trace, or none.
      TRACE_EXPORTER: z.enum(['otlp', 'cloud-trace', 'none']).optional(),
      TRACE_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
      // DESIGN.md, Identity in production: header (the gateway's X-Customer-Id) or jwt (verified ID tokens).
      IDENTITY_MODE: z.enum(['header', 'jwt']).default('header'),
      IDENTITY_JWT_ISSUER: z.string().min(1).optional(),
      IDENTITY_JWT_AUDIENCE: z.string().min(1).optional(),
      IDENTITY_JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
      IDENTITY_JWT_CLAIM: z.string().min(1).default('customer_id'),
    })
    .superRefine(
      (env, ctx) => {
        // Identity tries the admin token first: a shared value would give every support caller admin rights.
        if (env.ADMIN_API_TOKEN && env.ADMIN_API_TOKEN === env.SUPPORT_API_TOKEN) {
          ctx.addIssue({ code: 'custom', path: ['SUPPORT_API_TOKEN'], message: 'must differ from ADMIN_API_TOKEN' });
        }
        if (env.IDENTITY_MODE === 'jwt') {
          for (const key of ['IDENTITY_JWT_ISSUER', 'IDENTITY_JWT_AUDIENCE', 'IDENTITY_JWT_JWKS_URL'] as const) {
            if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when IDENTITY_MODE=jwt' });
          }
          // Keys fetched in the clear could be swapped on the way: only a laptop or a test may use http.
          if (env.IDENTITY_JWT_JWKS_URL?.startsWith('http:') && !isDevelopmentOrTest(env.NODE_ENV)) {
            ctx.addIssue({ code: 'custom', path: ['IDENTITY_JWT_JWKS_URL'], message: 'must be https:// outside development and test' });
          }
        }
        if (isDevelopmentOrTest(env.NODE_ENV)) return;
        const where = `with NODE_ENV=${env.NODE_ENV} (only development and test fall back to the local tokens)`;
        for (const key of ['ADMIN_API_TOKEN', 'SUPPORT_API_TOKEN'] as const) {
          if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${where}` });
          // The local defaults are printed by `npm start` and written in this repository: never a secret.
          else if (env[key] === LOCAL_ADMIN_TOKEN || env[key] === LOCAL_SUPPORT_TOKEN) {
            ctx.addIssue({ code: 'custom', path: [key], message: `must not be a printed local default ${where}` });
          }
        }
      },
      // Run even when another variable is already invalid, so that one ConfigError lists every problem.
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
    )
    .transform((env) => ({
      ...withServiceVersion(env),
      ADMIN_API_TOKEN: env.ADMIN_API_TOKEN ?? LOCAL_ADMIN_TOKEN,
      SUPPORT_API_TOKEN: env.SUPPORT_API_TOKEN ?? LOCAL_SUPPORT_TOKEN,
    }));
}

export type ServiceEnv = z.infer<ReturnType<typeof serviceEnvSchema>>;
