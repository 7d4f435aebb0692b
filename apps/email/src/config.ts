import { functionEnvSchema, isDevelopmentOrTest, serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema, functionEventsEnvSchema } from '@shop/events';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** `Name <addr@domain>` or a bare `addr@domain`. */
const MAILBOX = /^(?:[^<>]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/;

// nodemailer's URL parameters that would turn TLS off or make it optional.
const TLS_PARAMETERS = new Set(['secure', 'requiretls', 'ignoretls', 'opportunistictls']);

/** The mail variables, shared by the service and the Cloud Function. */
const mailEnv = z.object({
  /** `smtp://user:pass@host:587` (STARTTLS required) or `smtps://…:465`; unset locally: the embedded catcher. */
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' })
    // nodemailer lets URL parameters override the sender's options: TLS is decided here, not in the URL.
    .refine((url) => ![...new URL(url).searchParams.keys()].some((key) => TLS_PARAMETERS.has(key.toLowerCase())), {
      error: 'must not set secure, requireTLS, ignoreTLS or opportunisticTLS (use SMTP_ALLOW_PLAINTEXT to send without TLS)',
    })
    .optional(),
  /** Send over `smtp://` without TLS when the server offers no STARTTLS: an explicit opt-out, for a relay on a trusted network. */
  SMTP_ALLOW_PLAINTEXT: z.stringbool({ error: 'must be true or false' }).default(false),
  SMTP_FROM: z.string().trim().regex(MAILBOX, { error: 'must be "Name <address@domain>" or an address' }).default('Shop <no-reply@example.com>'),
  /** Each of connecting, the greeting and an idle socket may take this long before the attempt counts as failed. */
  SMTP_TIMEOUT_MS: int(1_000, 300_000).default(30_000),
  /** The embedded catcher's port when SMTP_URL is unset; 0 takes any free port (printed in the log). */
  SMTP_CATCHER_PORT: int(0, 65_535).default(0),
  EMAIL_MAX_ATTEMPTS: int(1, 100).default(10),
  EMAIL_RETRY_MIN_MS: int(10, 3_600_000).default(10_000),
  EMAIL_RETRY_MAX_MS: int(10, 86_400_000).default(1_800_000),
});

/**
 * The email service's environment: the common service variables (local port 3004), the event backbone's, and
 * the mail settings. Without SMTP_URL the service runs an embedded mail catcher (development only: it needs the
 * `smtp-server` dev dependency, so production requires SMTP_URL).
 */
export const emailConfigSchema = serviceEnvSchema(3004)
  .and(eventsEnvSchema)
  .and(mailEnv)
  .superRefine((env, ctx) => {
    if (!isDevelopmentOrTest(env.NODE_ENV) && !env.SMTP_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: `is required with NODE_ENV=${env.NODE_ENV} (the embedded mail catcher is for development and test)` });
    }
    if (env.EMAIL_RETRY_MAX_MS < env.EMAIL_RETRY_MIN_MS) {
      ctx.addIssue({ code: 'custom', path: ['EMAIL_RETRY_MAX_MS'], message: 'must not be below EMAIL_RETRY_MIN_MS' });
    }
  });
export type EmailConfig = z.infer<typeof emailConfigSchema>;

/**
 * The `sendEmail` Cloud Function's environment: the database, the event backbone (to relay what it publishes)
 * and the mail settings, with SMTP_URL required (a function has no catcher to fall back on).
 */
export const emailFunctionConfigSchema = functionEnvSchema
  .and(functionEventsEnvSchema)
  .and(mailEnv.extend({ SMTP_URL: mailEnv.shape.SMTP_URL.unwrap() }));
export type EmailFunctionConfig = z.infer<typeof emailFunctionConfigSchema>;

/** What the mailer reads from either configuration. */
export type MailSettings = z.infer<typeof mailEnv>;
