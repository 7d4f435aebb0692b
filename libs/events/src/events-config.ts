import { z } from 'zod';
import { DEFAULT_NODE_ENV } from '@shop/config';
import { SUBSCRIPTIONS } from '@shop/contracts';
import type { Logger } from '@shop/observability';
import type { PushOptions } from './push/push.routes';
import { eventFaultsSchema, withInjectedFaults } from './transports/fault-injection-env';
import { createMemoryTransport } from './transports/memory.transport';
import { createOutboxLogTransport } from './transports/outbox-log/outbox-log.transport';
import { createPgBossTransport } from './transports/pg-boss.transport';
import { createPubSubTransport } from './transports/pubsub.transport';
import type { Transport } from './types';

/** The engines `EVENT_TRANSPORT` chooses between (DESIGN.md "Transports"). */
export const EVENT_TRANSPORTS = ['embedded', 'pubsub', 'memory'] as const;
/** One of `EVENT_TRANSPORTS`. */
export type EventTransportKind = (typeof EVENT_TRANSPORTS)[number];

/**
 * The event backbone's variables for an environment whose NODE_ENV defaults to `defaultNodeEnv` when unset
 * (NODE_ENV is the service's or function's own variable: it is read here only to refuse what production must
 * not run with). With `EVENT_TRANSPORT=pubsub` the project and, unless verification is off, the push audience
 * and service account are required. Turning OIDC verification off is refused unless `PUBSUB_EMULATOR_HOST` is
 * set (the emulator sends no token, Google always does, and an unauthenticated push endpoint would let anyone
 * inject events), and always under `NODE_ENV=production`, as is the in-memory transport (it loses every event
 * on restart and reaches no other service).
 */
function eventsEnvSchemaFor(defaultNodeEnv: string) {
  return z
    .object({
      NODE_ENV: z.string().optional(),
      EVENT_TRANSPORT: z.enum(EVENT_TRANSPORTS).default('embedded'),
      /**
       * The engine behind the embedded transport: pg-boss (the default), or the outbox log, where subscriptions read
       * the producers' outboxes from positions of their own (no copy per subscription; less CPU per event, a longer
       * latency tail for now: see README, bench:events).
       */
      EVENT_EMBEDDED_ENGINE: z.enum(['pg-boss', 'outbox-log']).default('pg-boss'),
      GOOGLE_CLOUD_PROJECT: z.string().min(1).optional(),
      PUBSUB_EMULATOR_HOST: z
        .string()
        .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: 'must be host:port, e.g. 127.0.0.1:8085' })
        .optional(),
      PUBSUB_PUSH_AUDIENCE: z.string().min(1).optional(),
      PUBSUB_PUSH_SERVICE_ACCOUNT: z.email({ error: 'must be a service account e-mail' }).optional(),
      PUBSUB_VERIFY_OIDC: z.stringbool({ error: 'must be true or false' }).default(true),
      /** Caps the batches of the subscriptions that batch (inventory's order-requested); 1 turns batching off. */
      EVENT_BATCH_SIZE: z.coerce.number().int().min(1).max(500).optional(),
      /** The relay abandons a publish the transport has not acknowledged after this long, and retries it. */
      OUTBOX_PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
      /** An outbox row the reachable transport refused this many times is set aside (listed with the dead letters). */
      OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(10),
      /** Fault injection on every delivery (the chaos benchmark); never in production. */
      EVENT_FAULTS: eventFaultsSchema.optional(),
    })
    .superRefine(
      (env, ctx) => {
        const required = (key: keyof typeof env, why: string) => {
          if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
        };
        if ((env.NODE_ENV ?? defaultNodeEnv) === 'production') {
          if (env.EVENT_TRANSPORT === 'memory') {
            ctx.addIssue({ code: 'custom', path: ['EVENT_TRANSPORT'], message: 'must not be memory with NODE_ENV=production (events would be lost; use embedded or pubsub)' });
          }
          if (env.PUBSUB_VERIFY_OIDC === false) {
            ctx.addIssue({ code: 'custom', path: ['PUBSUB_VERIFY_OIDC'], message: 'must not be false with NODE_ENV=production (anyone could push events)' });
          }
          if (env.EVENT_FAULTS) {
            ctx.addIssue({ code: 'custom', path: ['EVENT_FAULTS'], message: 'must not be set with NODE_ENV=production (it loses events on purpose)' });
          }
        } else if (env.PUBSUB_VERIFY_OIDC === false && !env.PUBSUB_EMULATOR_HOST) {
          ctx.addIssue({
            code: 'custom',
            path: ['PUBSUB_VERIFY_OIDC'],
            message: 'may be false only with PUBSUB_EMULATOR_HOST set (the emulator sends no token; Google always does)',
          });
        }
        if (env.EVENT_TRANSPORT !== 'pubsub') return;
        required('GOOGLE_CLOUD_PROJECT', 'when EVENT_TRANSPORT=pubsub');
        if (env.PUBSUB_VERIFY_OIDC !== false) {
          required('PUBSUB_PUSH_AUDIENCE', 'when EVENT_TRANSPORT=pubsub verifies push tokens');
          required('PUBSUB_PUSH_SERVICE_ACCOUNT', 'when EVENT_TRANSPORT=pubsub verifies push tokens');
        }
      },
      // Run even when another variable is already invalid, so that one ConfigError lists every problem.
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
    );
}

/**
 * The event backbone's variables, to merge into a service's schema (`serviceEnvSchema(port).and(eventsEnvSchema)`):
 * NODE_ENV unset means development there. See `eventsEnvSchemaFor` for what is required and refused.
 */
export const eventsEnvSchema = eventsEnvSchemaFor(DEFAULT_NODE_ENV.service);

/** The same variables for a Cloud Function (`functionEnvSchema.and(functionEventsEnvSchema)`): NODE_ENV unset means production. */
export const functionEventsEnvSchema = eventsEnvSchemaFor(DEFAULT_NODE_ENV.function);

/** The parsed event variables. */
export type EventsEnv = z.infer<typeof eventsEnvSchema>;

/** The transport the configuration chooses; the embedded one fans out to every subscription of the topology. */
export function createTransport(
  config: Pick<EventsEnv, 'EVENT_TRANSPORT' | 'GOOGLE_CLOUD_PROJECT' | 'PUBSUB_EMULATOR_HOST'> & Partial<Pick<EventsEnv, 'EVENT_FAULTS' | 'EVENT_EMBEDDED_ENGINE'>>,
  deps: { databaseUrl: string; logger: Logger },
): Transport {
  const transport = createPlainTransport(config, deps);
  return config.EVENT_FAULTS ? withInjectedFaults(transport, config.EVENT_FAULTS, deps.logger) : transport;
}

function createPlainTransport(
  config: Pick<EventsEnv, 'EVENT_TRANSPORT' | 'GOOGLE_CLOUD_PROJECT' | 'PUBSUB_EMULATOR_HOST'> & Partial<Pick<EventsEnv, 'EVENT_EMBEDDED_ENGINE'>>,
  deps: { databaseUrl: string; logger: Logger },
): Transport {
  switch (config.EVENT_TRANSPORT) {
    case 'embedded':
      if (config.EVENT_EMBEDDED_ENGINE === 'outbox-log') return createOutboxLogTransport({ databaseUrl: deps.databaseUrl, topology: SUBSCRIPTIONS, logger: deps.logger });
      return createPgBossTransport({ databaseUrl: deps.databaseUrl, topology: SUBSCRIPTIONS, logger: deps.logger });
    case 'memory':
      return createMemoryTransport();
    case 'pubsub':
      return createPubSubTransport({
        projectId: requireValue(config.GOOGLE_CLOUD_PROJECT, 'GOOGLE_CLOUD_PROJECT'),
        logger: deps.logger,
        ...(config.PUBSUB_EMULATOR_HOST ? { emulatorHost: config.PUBSUB_EMULATOR_HOST } : {}),
      });
  }
}

/** The push route's settings for `createEventRuntime({ push })`; undefined unless the transport is Pub/Sub. */
export function pushOptionsOf(config: EventsEnv): PushOptions | undefined {
  if (config.EVENT_TRANSPORT !== 'pubsub') return undefined;
  if (!config.PUBSUB_VERIFY_OIDC) return { verify: false, projectId: config.GOOGLE_CLOUD_PROJECT };
  return {
    verify: true,
    audience: requireValue(config.PUBSUB_PUSH_AUDIENCE, 'PUBSUB_PUSH_AUDIENCE'),
    serviceAccountEmail: requireValue(config.PUBSUB_PUSH_SERVICE_ACCOUNT, 'PUBSUB_PUSH_SERVICE_ACCOUNT'),
    projectId: config.GOOGLE_CLOUD_PROJECT,
  };
}

/** The schema guarantees these; a config built by hand might not. */
function requireValue(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is required for the Pub/Sub transport`);
  return value;
}
