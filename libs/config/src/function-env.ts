import { z } from 'zod';
import { DEFAULT_NODE_ENV, nodeEnvSchema } from './node-env';
import { databaseUrl, logLevel, serviceVersionEnv, withServiceVersion } from './service-env';

/**
 * The variables every Cloud Function reads: a service's database and logging, without its HTTP ones (a
 * function has no routes, tokens or port of its own). A function runs in the cloud, so NODE_ENV defaults to
 * production, and one instance handles one event at a time, so its pool stays small.
 */
export const functionEnvSchema = z
  .object({
    NODE_ENV: nodeEnvSchema(DEFAULT_NODE_ENV.function),
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(50).default(2),
    LOG_LEVEL: logLevel,
    ...serviceVersionEnv,
  })
  .transform(withServiceVersion);

export type FunctionEnv = z.infer<typeof functionEnvSchema>;
