import { functionEnvSchema, isDevelopmentOrTest, serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema, functionEventsEnvSchema } from '@shop/events';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Base64url (RFC 4648 §5, unpadded as browsers and web-push write it) that decodes to `bytes` bytes. */
function base64urlKey(bytes: number, what: string, check: (key: Buffer) => boolean = () => true) {
  return z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]+$/, { error: `must be base64url (${what})` })
    .refine((value) => {
      const key = Buffer.from(value, 'base64url');
      return key.length === bytes && check(key);
    }, `must be ${what}`);
}

/** The browsers' push services, where production subscriptions may point (PUSH_ENDPOINT_HOSTS' default there). */
export const BROWSER_PUSH_SERVICES = ['fcm.googleapis.com', 'android.googleapis.com', '*.push.services.mozilla.com', '*.notify.windows.com', '*.push.apple.com'];

/** The Web Push variables, shared by the service and the Cloud Function. */
const pushEnv = z.object({
  /** The VAPID key pair (`npx web-push generate-vapid-keys`); both or neither. Unset: generated once and kept in the push schema. */
  VAPID_PUBLIC_KEY: base64urlKey(65, 'an uncompressed P-256 public key (65 bytes)', (key) => key[0] === 4).optional(),
  VAPID_PRIVATE_KEY: base64urlKey(32, 'a P-256 private key (32 bytes)').optional(),
  /** Who push services may contact about our traffic: a mailto: or https: URL. */
  VAPID_SUBJECT: z.string().trim().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, { error: 'must be a mailto: or https: URL' }).default('mailto:push@example.com'),
  /** How long a push service keeps a message for a browser that is offline. */
  PUSH_TTL_SECONDS: int(0, 2_419_200).default(86_400),
  PUSH_TIMEOUT_MS: int(500, 120_000).default(10_000),
  PUSH_MAX_ATTEMPTS: int(1, 100).default(8),
  PUSH_RETRY_MIN_MS: int(10, 3_600_000).default(5_000),
  PUSH_RETRY_MAX_MS: int(10, 86_400_000).default(600_000),
  /**
   * Comma-separated hosts a subscription's endpoint may name (`*.example.com` for subdomains), `*` for any:
   * the service POSTs to these URLs, so in production only the browsers' push services, over https.
   */
  PUSH_ENDPOINT_HOSTS: z.string().trim().min(1).optional(),
});

type PushEnv = z.infer<typeof pushEnv>;

function checkPushEnv(env: PushEnv, ctx: z.RefinementCtx): void {
  if (Boolean(env.VAPID_PUBLIC_KEY) !== Boolean(env.VAPID_PRIVATE_KEY)) {
    const missing = env.VAPID_PUBLIC_KEY ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'is required with the other half of the VAPID key pair' });
  }
  if (env.PUSH_RETRY_MAX_MS < env.PUSH_RETRY_MIN_MS) {
    ctx.addIssue({ code: 'custom', path: ['PUSH_RETRY_MAX_MS'], message: 'must not be below PUSH_RETRY_MIN_MS' });
  }
}

/** `*` for any host, else the list. */
function endpointHosts(value: string | undefined, production: boolean): string[] {
  if (value === undefined) return production ? BROWSER_PUSH_SERVICES : ['*'];
  return value.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
}

/**
 * The push service's environment: the common service variables (local port 3007), the event backbone's, and
 * Web Push's. `PUSH_ENDPOINT_HOSTS` comes out as a list.
 */
export const pushConfigSchema = serviceEnvSchema(3007)
  .and(eventsEnvSchema)
  .and(pushEnv)
  .superRefine(checkPushEnv)
  .transform((env) => ({ ...env, PUSH_ENDPOINT_HOSTS: endpointHosts(env.PUSH_ENDPOINT_HOSTS, !isDevelopmentOrTest(env.NODE_ENV)) }));
export type PushConfig = z.infer<typeof pushConfigSchema>;

/** The `sendPush` Cloud Function's environment: the database, the event backbone, and Web Push. */
export const pushFunctionConfigSchema = functionEnvSchema
  .and(functionEventsEnvSchema)
  .and(pushEnv)
  .superRefine(checkPushEnv);
export type PushFunctionConfig = z.infer<typeof pushFunctionConfigSchema>;

/** What delivery reads from either configuration (NODE_ENV: whether private-network endpoints may be contacted). */
export type PushSettings = Omit<PushEnv, 'PUSH_ENDPOINT_HOSTS'> & { NODE_ENV: string };
