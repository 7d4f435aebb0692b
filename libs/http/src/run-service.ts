import { createDatabase, type Database } from '@shop/db';
import type { ServiceEnv } from '@shop/config';
import { createLogger, type Logger } from '@shop/observability';
import type { HttpApp } from './create-app';
import { serveApp, type RunningServer } from './serve';

export interface ServiceDeps<C extends ServiceEnv> {
  config: C;
  db: Database;
  logger: Logger;
}

export interface RunServiceOptions<C extends ServiceEnv> {
  service: string;
  config: C;
  createApp(deps: ServiceDeps<C>): HttpApp;
  /** Starts background work (consumers, relays); returns what stops it. Runs after the server listens. */
  startBackground?(deps: ServiceDeps<C>): Promise<() => Promise<void>>;
}

/**
 * The composition every `main.ts` shares: logger, database, app, listen, background work, and a shutdown
 * that stops accepting, drains, stops background work, then closes the database.
 */
export async function runService<C extends ServiceEnv>(options: RunServiceOptions<C>): Promise<RunningServer> {
  const { config } = options;
  const logger = createLogger({
    service: options.service,
    version: config.SERVICE_VERSION,
    level: config.LOG_LEVEL,
    projectId: config.GOOGLE_CLOUD_PROJECT,
  });
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const db = createDatabase(config.DATABASE_URL, {
    poolMax: config.DATABASE_POOL_MAX,
    applicationName: options.service,
    onError: (err) => logger.warn({ err }, 'database connection error'),
  });
  const deps = { config, db, logger };
  const http = options.createApp(deps);
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
  if (options.startBackground) closers.push(await options.startBackground(deps));
  closers.push(() => db.close());
  return running;
}
