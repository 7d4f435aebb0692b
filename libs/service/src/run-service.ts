import type { ServiceEnv } from '@shop/config';
import type { ServiceName } from '@shop/contracts';
import { createDatabase, type Database } from '@shop/db';
import { createEventRuntime, createTransport, pushOptionsOf, type EventHandler, type EventRuntime, type EventsEnv } from '@shop/events';
import { serveApp, type HttpApp, type RunningServer } from '@shop/http';
import { cloudMonitoringReader, createLogger, createServiceMetrics, setupTracing, traceExporterOf, type Logger } from '@shop/observability';
import { startIdleMemoryTrim } from './idle-memory-trim';

/** What a service's parts are built from. */
export interface ServiceDeps<C extends ServiceEnv & EventsEnv> {
  config: C;
  db: Database;
  logger: Logger;
}

/** The same, once its events are wired: what `createApp` receives. */
export interface ServiceContext<C extends ServiceEnv & EventsEnv> extends ServiceDeps<C> {
  events: EventRuntime;
}

export interface RunServiceOptions<C extends ServiceEnv & EventsEnv> {
  service: ServiceName;
  config: C;
  /** One handler per topic the topology routes to this service. */
  handlers?(deps: ServiceDeps<C>): EventHandler[];
  createApp(context: ServiceContext<C>): HttpApp;
  /** Other background work (mail queues, streams); returns what stops it. Runs after the server listens. */
  startBackground?(context: ServiceContext<C>): Promise<() => Promise<void>>;
}

/**
 * The composition every `main.ts` shares: logger, database, event runtime on the configured transport, app,
 * listen, then consumers and the outbox relay, and the trim that gives memory back whenever the service goes
 * idle. Shutdown stops accepting, drains requests, stops consumers and the relay, then closes the database.
 */
export async function runService<C extends ServiceEnv & EventsEnv>(options: RunServiceOptions<C>): Promise<RunningServer> {
  const { config, service } = options;
  const logger = createLogger({ service, version: config.SERVICE_VERSION, level: config.LOG_LEVEL, projectId: config.GOOGLE_CLOUD_PROJECT });
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  // Before the database and the server exist, so that their first query and request are traced.
  const tracing = await setupTracing({
    service,
    version: config.SERVICE_VERSION,
    exporter: traceExporterOf(config),
    projectId: config.GOOGLE_CLOUD_PROJECT,
    sampleRatio: config.TRACE_SAMPLE_RATIO,
  });
  const db = createDatabase(config.DATABASE_URL, {
    poolMax: config.DATABASE_POOL_MAX,
    applicationName: service,
    onError: (err) => logger.warn({ err }, 'database connection error'),
  });
  const deps: ServiceDeps<C> = { config, db, logger };
  // Served at GET /metrics everywhere; on Cloud Run the same instruments are also exported to Cloud Monitoring.
  const metrics = createServiceMetrics({
    service,
    version: config.SERVICE_VERSION,
    readers: config.K_SERVICE ? [await cloudMonitoringReader({ projectId: config.GOOGLE_CLOUD_PROJECT })] : [],
  });
  const events = createEventRuntime({
    metrics,
    service,
    db,
    databaseUrl: config.DATABASE_URL,
    transport: createTransport(config, { databaseUrl: config.DATABASE_URL, logger }),
    logger,
    handlers: options.handlers?.(deps) ?? [],
    push: pushOptionsOf(config),
    relay: { publishTimeoutMs: config.OUTBOX_PUBLISH_TIMEOUT_MS, maxAttempts: config.OUTBOX_MAX_ATTEMPTS },
    ...(config.EVENT_BATCH_SIZE ? { batchSize: config.EVENT_BATCH_SIZE } : {}),
  });
  const context: ServiceContext<C> = { ...deps, events };
  const http = options.createApp(context);
  const closers: (() => Promise<void>)[] = [];
  const running = await serveApp({
    fetch: http.app.fetch,
    port: config.PORT,
    hostname: config.HOST,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onDrain: () => http.setDraining(true),
    closers,
  });
  await events.start();
  closers.push(() => events.stop());
  if (options.startBackground) closers.push(await options.startBackground(context));
  const stopTrim = startIdleMemoryTrim({ logger });
  closers.push(async () => stopTrim());
  // Before the database closes: the last export reads the gauges.
  closers.push(() => metrics.shutdown());
  closers.push(() => db.close());
  closers.push(() => tracing.shutdown());
  // A supervisor that dies without stopping us (npm start killed hard) closes our IPC channel: shut down too.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  return running;
}
