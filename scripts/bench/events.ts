// npm run bench:events — events per second through outbox → relay → transport → idempotent consumer, and
// per-hop latency at a steady 200 events/s, with the bare PostgreSQL INSERT + NOTIFY round trip as ceiling.
// EVENT_TRANSPORT=pubsub runs the same on Google's Pub/Sub emulator (started here). BENCH_EVENTS, BENCH_RATE,
// BENCH_SECONDS and BENCH_PUBLISHERS change the sizes; BENCH_TRACE=1 prints produced and handled counts each second.
import { serve } from '@hono/node-server';
import pg from 'pg';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { createDatabase, inTransaction, type Database } from '@shop/db';
import {
  applyPubSubTopology,
  createEventRuntime,
  createTransport,
  defineHandler,
  planPubSubTopology,
  type EventRuntime,
} from '@shop/events';
import { createHttpApp } from '@shop/http';
import { createLogger } from '@shop/observability';
import { freePort } from '@shop/testing';
import { benchDatabase, quantile, round } from './bench-database';

const TRANSPORT = (process.env['EVENT_TRANSPORT'] ?? 'embedded') as 'embedded' | 'pubsub';
const THROUGHPUT_EVENTS = Number(process.env['BENCH_EVENTS'] ?? 20_000);
const STEADY_RATE = Number(process.env['BENCH_RATE'] ?? 200);
const STEADY_SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const PUBLISHERS = Number(process.env['BENCH_PUBLISHERS'] ?? 8);
const logger = createLogger({ service: 'bench', level: 'warn' });
const print = (line: string) => console.log(line);

/** Bare PostgreSQL: INSERT + NOTIFY per transaction from 8 connections, until a listener heard them all. */
async function ceiling(url: string, total: number): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('CREATE TABLE IF NOT EXISTS public.bench_ceiling (id bigserial PRIMARY KEY, body jsonb NOT NULL)');
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  await listener.query('LISTEN bench_ceiling');
  let heard = 0;
  const allHeard = new Promise<void>((resolve) => listener.on('notification', () => ++heard === total && resolve()));
  const writers = await Promise.all(Array.from({ length: PUBLISHERS }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    writers.map(async (c) => {
      while (next < total) {
        next++;
        await c.query('BEGIN');
        await c.query(`INSERT INTO public.bench_ceiling (body) VALUES ('{"sku":"A","available":1,"version":1}')`);
        await c.query(`NOTIFY bench_ceiling`);
        await c.query('COMMIT');
      }
    }),
  );
  await allHeard;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([...writers, listener, admin].map((c) => c.end()));
  return total / seconds;
}

interface Rig {
  producer: EventRuntime;
  handled: Map<string, number>;
  stop(): Promise<void>;
}

/** inventory publishes stock.changed; product consumes it, as in the system, on the configured transport. */
async function rig(url: string): Promise<Rig> {
  const handled = new Map<string, number>();
  const producerDb = createDatabase(url, { poolMax: PUBLISHERS + 2 });
  const consumerDb = createDatabase(url, { poolMax: 12 });
  const handler = defineHandler<'stock.changed'>({
    topic: 'stock.changed',
    async handle(tx, event) {
      await tx.$executeRawUnsafe(
        `INSERT INTO product.availability (sku, available, version) VALUES ($1, $2, $3)
         ON CONFLICT (sku) DO UPDATE SET available = EXCLUDED.available, version = EXCLUDED.version
         WHERE product.availability.version < EXCLUDED.version`,
        event.payload.sku,
        event.payload.available,
        event.payload.version,
      );
      handled.set(event.attributes.event_id, performance.now());
    },
  });
  const env = { ...process.env, EVENT_TRANSPORT: TRANSPORT } as Record<string, string>;
  const transportConfig = {
    EVENT_TRANSPORT: TRANSPORT,
    GOOGLE_CLOUD_PROJECT: env['GOOGLE_CLOUD_PROJECT'] ?? 'bench-project',
    PUBSUB_EMULATOR_HOST: env['PUBSUB_EMULATOR_HOST'],
    PUBSUB_VERIFY_OIDC: false,
  } as const;
  const make = (db: Database, service: 'inventory' | 'product', handlers = [] as (typeof handler)[]) =>
    createEventRuntime({
      service,
      db,
      databaseUrl: url,
      transport: createTransport(transportConfig, { databaseUrl: url, logger }),
      logger,
      handlers,
      push: TRANSPORT === 'pubsub' ? { verify: false, projectId: transportConfig.GOOGLE_CLOUD_PROJECT } : undefined,
      relay: { pollIntervalMs: 1_000 },
    });
  const producer = make(producerDb, 'inventory');
  const consumer = make(consumerDb, 'product', [handler]);
  let server: { close(): void } | undefined;
  if (TRANSPORT === 'pubsub') {
    const { app } = createHttpApp({ service: 'product', version: 'bench', logger, identity: { adminToken: 'x'.repeat(16), supportToken: 'y'.repeat(16), isKnownCustomer: async () => false }, readiness: {}, bodyLimitBytes: 10_000_000 });
    consumer.registerRoutes(app);
    const port = await freePort();
    server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
    const { PubSub } = await import('@google-cloud/pubsub');
    // Only the subscription this rig consumes: the other services are not running here.
    const subscriptions = SUBSCRIPTIONS.filter((s) => s.name === 'product.stock.changed');
    const plan = planPubSubTopology({ projectId: transportConfig.GOOGLE_CLOUD_PROJECT, baseUrls: { product: `http://127.0.0.1:${port}` } as never, subscriptions });
    await applyPubSubTopology(new PubSub({ projectId: transportConfig.GOOGLE_CLOUD_PROJECT }), plan, logger);
  }
  await producer.start();
  await consumer.start();
  return {
    producer,
    handled,
    async stop() {
      await producer.stop();
      await consumer.stop();
      server?.close();
      await producerDb.close();
      await consumerDb.close();
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for deliveries');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * As fast as the publishers can commit, `perTransaction` events per transaction (written in one statement at
 * commit, as `publish` does in `inTransaction`), over 2,000 keys.
 */
async function throughput(r: Rig, db: Database, total: number, perTransaction: number): Promise<number> {
  const before = r.handled.size;
  const started = performance.now();
  let next = 0;
  const trace = process.env['BENCH_TRACE'] ? setInterval(() => print(`    t=${((performance.now() - started) / 1000).toFixed(1)}s produced=${next} handled=${r.handled.size - before}`), 1000) : undefined;
  await Promise.all(
    Array.from({ length: PUBLISHERS }, async () => {
      while (next < total) {
        const from = next;
        next += perTransaction;
        await inTransaction(db.prisma, async (tx) => {
          for (let i = from; i < Math.min(from + perTransaction, total); i++) {
            await r.producer.publish(tx, 'stock.changed', { sku: `SKU-${i % 2_000}`, available: i, version: i + 1 });
          }
        });
      }
    }),
  );
  await waitFor(() => r.handled.size - before >= total, 300_000);
  clearInterval(trace);
  return total / ((performance.now() - started) / 1000);
}

/** One event per transaction at a steady rate; latency from the producer's commit to the consumer's handler. */
async function steady(r: Rig, db: Database, rate: number, seconds: number): Promise<number[]> {
  const committed = new Map<string, number>();
  const total = rate * seconds;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    inFlight.push(
      inTransaction(db.prisma, (tx) => r.producer.publish(tx, 'stock.changed', { sku: `STEADY-${i % 500}`, available: i, version: 1_000_000 + i })).then(
        (eventId) => void committed.set(eventId, performance.now()),
      ),
    );
  }
  await Promise.all(inFlight);
  await waitFor(() => [...committed.keys()].every((id) => r.handled.has(id)), 120_000);
  return [...committed].map(([id, at]) => Math.max(0, r.handled.get(id)! - at));
}

const database = await benchDatabase('events');
let emulator: { stop(): Promise<void> } | undefined;
try {
  if (TRANSPORT === 'pubsub' && !process.env['PUBSUB_EMULATOR_HOST']) {
    const { startPubSubEmulator } = await import('../../libs/events/test/pubsub/emulator');
    const started = await startPubSubEmulator({ projectId: 'bench-project' });
    process.env['PUBSUB_EMULATOR_HOST'] = started.host;
    process.env['METADATA_SERVER_DETECTION'] = 'none';
    emulator = started;
  }
  print(`bench:events — transport ${TRANSPORT}, ${database.server}`);
  const ceilingPerS = await ceiling(database.url, THROUGHPUT_EVENTS);
  print(`  ceiling: bare INSERT + NOTIFY, ${PUBLISHERS} connections   ${Math.round(ceilingPerS)} transactions/s`);
  const r = await rig(database.url);
  const db = createDatabase(database.url, { poolMax: PUBLISHERS + 2 });
  // Warm up connections, JIT and queues before measuring.
  await throughput(r, db, 1_000, 10);
  const perS = await throughput(r, db, THROUGHPUT_EVENTS, 10);
  print(`  throughput: ${THROUGHPUT_EVENTS} events outbox → relay → ${TRANSPORT} → consumer, 10 per producer transaction   ${Math.round(perS)} events/s (${round((perS / ceilingPerS) * 100)}% of ceiling)`);
  // The same with one event per producer transaction: then every event costs the producer a commit.
  const singles = Math.round(THROUGHPUT_EVENTS / 2);
  const singlePerS = await throughput(r, db, singles, 1);
  print(`  throughput: ${singles} events, 1 per producer transaction   ${Math.round(singlePerS)} events/s (${round((singlePerS / ceilingPerS) * 100)}% of ceiling)`);
  const latencies = await steady(r, db, STEADY_RATE, STEADY_SECONDS);
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  print(`  hop latency at a steady ${STEADY_RATE} events/s for ${STEADY_SECONDS} s (commit → handler): p50 ${round(p50)} ms, p99 ${round(p99)} ms`);
  await r.stop();
  await db.close();
  console.log(
    JSON.stringify({
      bench: 'events',
      transport: TRANSPORT,
      throughput_per_s: Math.round(perS),
      hop_p50_ms: round(p50, 2),
      hop_p99_ms: round(p99, 2),
      ceiling_per_s: Math.round(ceilingPerS),
      throughput_to_ceiling: round(perS / ceilingPerS, 3),
      throughput_one_per_tx_per_s: Math.round(singlePerS),
      steady_rate_per_s: STEADY_RATE,
      events: THROUGHPUT_EVENTS,
    }),
  );
} finally {
  await database.drop();
  await emulator?.stop();
}
