// The whole system in one process, for system tests and the flash-sale benchmark: all eight apps over one
// PostgreSQL database, each with its own pool, its own event runtime and its own pg-boss instance, exactly as
// eight processes would have; HTTP through each app's `fetch` (or real sockets with `listen`).
import { serve } from '@hono/node-server';
import { loadConfig, LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN, serviceEnvSchema } from '@shop/config';
import { SERVICE_NAMES, SUBSCRIPTIONS, type ServiceName } from '@shop/contracts';
import { createDatabase, type Database } from '@shop/db';
import { createEventRuntime, createMemoryTransport, createOutboxLogTransport, createPgBossTransport, type EventHandler, type EventRuntime, type Transport } from '@shop/events';
import type { HttpApp } from '@shop/http';
import { createLogger, type Logger } from '@shop/observability';
import type { AppContext } from '@shop/service';
import { untilQuiet } from './quiet';
import { SERVICE_MODULES, type ServiceModule } from './service-modules';

export interface SystemOptions {
  databaseUrl: string;
  /** The embedded transport (as `npm start` runs) or in-memory delivery. */
  transport?: 'embedded' | 'memory';
  /** The engine behind `embedded`; by default EVENT_EMBEDDED_ENGINE's, else pg-boss (as `npm start` chooses). */
  engine?: 'pg-boss' | 'outbox-log';
  /** Inventory's order-requested batch size; 1 turns batching off. */
  inventoryBatchSize?: number;
  poolMax?: number;
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  maxDeliveryAttempts?: number;
  /** Extra environment for email, push, cart and order (SMTP_URL, EMAIL_RETRY_MIN_MS, VAPID_…, CHECKOUT_RETRY_…); without SMTP_URL, the embedded catcher. */
  env?: Record<string, string | undefined>;
  /** Wraps each service's transport (fault injection); by default the transport as it is. */
  wrapTransport?: (transport: Transport, service: ServiceName) => Transport;
}

export interface RunningService {
  name: ServiceName;
  http: HttpApp;
  db: Database;
  events: EventRuntime;
  module: ServiceModule;
}

export interface System {
  services: Record<ServiceName, RunningService>;
  /** One pool for assertions across schemas (tests read what services wrote). */
  db: Database;
  /** An HTTP request to a service, without a socket. */
  request(service: ServiceName, path: string, init?: RequestInit): Promise<Response>;
  /** Serves every app on a real port (127.0.0.1); returns the base URLs. */
  listen(): Promise<Record<ServiceName, string>>;
  /** Resolves once no outbox row is unpublished and no message waits or runs in any queue, twice in a row. */
  quiesce(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const ADMIN = { Authorization: `Bearer ${LOCAL_ADMIN_TOKEN}` } as const;
export const SUPPORT = { Authorization: `Bearer ${LOCAL_SUPPORT_TOKEN}` } as const;

const baseConfig = {
  ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN,
  SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN,
  SERVICE_VERSION: 'system',
  BODY_LIMIT_BYTES: 1024 * 1024,
};

/** The rate limit every service loads: its defaults (as `npm start` runs), unless the run's `env` sets RATE_LIMIT_*. */
function rateLimitConfig(options: SystemOptions): Partial<AppContext['config']> {
  const loaded = loadConfig(serviceEnvSchema(3000), { ...options.env, DATABASE_URL: options.databaseUrl });
  return {
    RATE_LIMIT_REQUESTS: loaded.RATE_LIMIT_REQUESTS,
    RATE_LIMIT_STAFF_REQUESTS: loaded.RATE_LIMIT_STAFF_REQUESTS,
    RATE_LIMIT_WINDOW_SECONDS: loaded.RATE_LIMIT_WINDOW_SECONDS,
    RATE_LIMIT_TRUST_CLIENT_ADDRESS: loaded.RATE_LIMIT_TRUST_CLIENT_ADDRESS,
  };
}

/** Starts the eight services; `stop()` shuts them down in reverse. */
export async function startSystem(options: SystemOptions): Promise<System> {
  const transportKind = options.transport ?? 'embedded';
  const memory = transportKind === 'memory' ? createMemoryTransport() : undefined;
  const engine = options.engine ?? (process.env['EVENT_EMBEDDED_ENGINE'] === 'outbox-log' ? 'outbox-log' : 'pg-boss');
  const embedded = (logger: Logger): Transport =>
    engine === 'outbox-log'
      ? createOutboxLogTransport({ databaseUrl: options.databaseUrl, topology: SUBSCRIPTIONS, logger, poolMax: 3 })
      : createPgBossTransport({ databaseUrl: options.databaseUrl, topology: SUBSCRIPTIONS, logger, poolMax: 3 });
  const services = {} as Record<ServiceName, RunningService>;
  const config: AppContext['config'] = { ...baseConfig, ...rateLimitConfig(options) };
  for (const name of SERVICE_NAMES) {
    const logger: Logger = createLogger({ service: name, level: options.logLevel ?? 'silent' });
    const db = createDatabase(options.databaseUrl, { poolMax: options.poolMax ?? 4, applicationName: name });
    // Called only once every service exists: requests go to the apps in this process.
    const request = async (service: ServiceName, path: string, init?: RequestInit) => services[service].http.app.request(path, init);
    const module = SERVICE_MODULES[name]({ config, db, logger, databaseUrl: options.databaseUrl, env: options.env ?? {}, request });
    const handlers: EventHandler[] = module.handlers;
    const transport = memory ?? embedded(logger);
    const events = createEventRuntime({
      service: name,
      db,
      databaseUrl: options.databaseUrl,
      transport: options.wrapTransport ? options.wrapTransport(transport, name) : transport,
      logger,
      handlers,
      relay: { pollIntervalMs: 500 },
      ...(name === 'inventory' && options.inventoryBatchSize ? { batchSize: options.inventoryBatchSize } : {}),
      ...(options.maxDeliveryAttempts ? { maxDeliveryAttempts: options.maxDeliveryAttempts } : {}),
    });
    const context: AppContext = { config, db, logger, events };
    services[name] = { name, http: module.createApp(context), db, events, module };
  }
  for (const s of Object.values(services)) await s.events.start();
  const backgroundStops: (() => Promise<void>)[] = [];
  for (const s of Object.values(services)) {
    if (s.module.startBackground) backgroundStops.push(await s.module.startBackground({ publish: s.events.publish, metrics: s.events.metrics }));
  }
  const db = createDatabase(options.databaseUrl, { poolMax: 4, applicationName: 'system-test' });
  const servers: { close(): void }[] = [];

  return {
    services,
    db,
    request: async (service, path, init) => services[service].http.app.request(path, init),
    async listen() {
      const urls = {} as Record<ServiceName, string>;
      for (const s of Object.values(services)) {
        await new Promise<void>((resolve) => {
          const server = serve({ fetch: s.http.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
            urls[s.name] = `http://127.0.0.1:${info.port}`;
            resolve();
          });
          servers.push(server);
        });
      }
      return urls;
    },
    quiesce: (timeoutMs = 60_000) =>
      untilQuiet(db.pool, { queues: transportKind === 'embedded', engine, timeoutMs, beforeCheck: async () => void (await memory?.drain()) }),
    async stop() {
      for (const server of servers) server.close();
      for (const stopBackground of backgroundStops.reverse()) await stopBackground();
      for (const s of Object.values(services).reverse()) await s.events.stop();
      for (const s of Object.values(services)) await s.db.close();
      await db.close();
    },
  };
}
