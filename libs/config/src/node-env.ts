import { z } from 'zod';

/**
 * What NODE_ENV means when unset: a service defaults to development (`npm start` and the tests rely on it), a
 * Cloud Function to production (it only ever runs in the cloud).
 */
export const DEFAULT_NODE_ENV = { service: 'development', function: 'production' } as const;

/**
 * NODE_ENV: any lowercase name (`development`, `test`, `staging`, `production`, …). Lowercase only, so that
 * `Production` cannot slip past the checks that compare with `production`.
 */
export function nodeEnvSchema(fallback: string) {
  return z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, { error: 'must be a lowercase name such as development, test, staging or production' })
    .default(fallback);
}

/**
 * True for the two environments that may use the printed local tokens, private Web Push endpoints and the
 * like; everything else (`production`, `staging`, …) is treated as exposed.
 */
export function isDevelopmentOrTest(nodeEnv: string | undefined): boolean {
  return nodeEnv === 'development' || nodeEnv === 'test';
}
