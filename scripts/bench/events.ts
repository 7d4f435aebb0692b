// npm run bench:events — events per second through outbox → relay → transport → idempotent consumer, and
// per-hop latency at a steady 200 events/s, with the bare PostgreSQL INSERT + NOTIFY round trip as ceiling.
// EVENT_TRANSPORT=pubsub runs the same on Google's Pub/Sub emulator (started here). On the embedded transport,
// BENCH_ENGINE chooses the engine: `pg-boss`, `outbox-log` (subscriptions reading the outboxes as a log), or
// `both` (the default: each on a fresh database of its own, one after the other, in the same run).
// BENCH_EVENTS, BENCH_RATE, BENCH_SECONDS and BENCH_PUBLISHERS change the sizes; BENCH_TRACE=1 prints produced
// and handled counts each second.
import { readdirSync, readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import pg from 'pg';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { createDatabase, inTransaction, type Database } from '@shop/db';
import {
  applyPubSubTopology,
  createEventRuntime,
  createOutboxLogTransport,
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
// `outbox-log-no-relay` stops the relay once started: the outbox log needs none (the rows are the log), and
// this measures what leaving it out of the runtime for that engine would save (its claim and mark commits).
type Engine = 'pg-boss' | 'outbox-log' | 'outbox-log-no-relay' | 'pubsub';
const ENGINE_CHOICE = process.env['BENCH_ENGINE'] ?? 'both';
const CHOICES: Record<string, Engine[]> = {
  'pg-boss': ['pg-boss'],
  'outbox-log': ['outbox-log'],
  'outbox-log-no-relay': ['outbox-log-no-relay'],
  both: ['pg-boss', 'outbox-log', 'outbox-log-no-relay'],
};
if (!CHOICES[ENGINE_CHOICE]) throw new Error(`BENCH_ENGINE must be one of ${Object.keys(CHOICES).join(', ')}`);
const ENGINES: Engine[] = TRANSPORT === 'pubsub' ? ['pubsub'] : CHOICES[ENGINE_CHOICE]!;
const THROUGHPUT_EVENTS = Number(process.env['BENCH_EVENTS'] ?? 20_000);
const STEADY_RATE = Number(process.env['BENCH_RATE'] ?? 200);
const STEADY_SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const PUBLISHERS = Number(process.env['BENCH_PUBLISHERS'] ?? 8);
const logger = createLogger({ service: 'bench', level: 'warn' });
const print = (line: string) => console.log(line);

/** CPU seconds of one process from /proc (user + system, and with `children` its reaped children's too). */
function cpuSecondsOf(pid: number, children = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
    return ticks / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds so far of this process and of the PostgreSQL server (its postmaster, every live backend, and
 * the backends that already exited): the machine is shared, so CPU per event says more than events per
 * second about an engine's cost. Undefined off Linux or when the server's processes cannot be read.
 */
async function cpuSeconds(db: Database): Promise<{ bench: number; server: number } | undefined> {
  const { rows } = await db.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  let postmaster: number;
  try {
    postmaster = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${rows[0]!.pid}/status`, 'utf8'))![1]);
  } catch {
    return undefined;
  }
  let server = cpuSecondsOf(postmaster, true);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(postmaster)) server += cpuSecondsOf(Number(entry));
    } catch {
      // exited meanwhile: its time is in the postmaster's children's total
    }
  }
  const own = process.cpuUsage();
  return { bench: (own.user + own.system) / 1e6, server };
}

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

/** inventory publishes stock.changed; product consumes it, as in the system, on the chosen engine. */
async function rig(url: string, engine: Engine): Promise<Rig> {
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
      transport:
        engine === 'outbox-log' || engine === 'outbox-log-no-relay'
          ? createOutboxLogTransport({ databaseUrl: url, topology: SUBSCRIPTIONS, logger })
          : createTransport(transportConfig, { databaseUrl: url, logger }),
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
  if (engine === 'outbox-log-no-relay') await producer.relay()?.stop();
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
async function throughput(r: Rig, db: Database, total: number, perTransaction: number): Promise<{ perS: number; cpuMsPerEvent: number; split: string }> {
  const before = r.handled.size;
  const cpuBefore = await cpuSeconds(db);
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
  const perS = total / ((performance.now() - started) / 1000);
  clearInterval(trace);
  const cpuAfter = await cpuSeconds(db);
  const cpuMsPerEvent = cpuBefore && cpuAfter ? ((cpuAfter.bench - cpuBefore.bench + cpuAfter.server - cpuBefore.server) * 1000) / total : NaN;
  const split =
    cpuBefore && cpuAfter
      ? `Node ${round(((cpuAfter.bench - cpuBefore.bench) * 1000) / total, 3)} + PostgreSQL ${round(((cpuAfter.server - cpuBefore.server) * 1000) / total, 3)}`
      : 'not measured';
  return { perS, cpuMsPerEvent, split };
}

/**
 * One event per transaction at a steady rate; latency from the producer's commit to the consumer's handler.
 * A producer transaction that fails (on a machine too busy for the rate, the pool's connect timeout) is
 * counted, not fatal: the figures of the run survive, and `failed` says the rate was not held.
 */
async function steady(r: Rig, db: Database, rate: number, seconds: number): Promise<{ latencies: number[]; failed: number }> {
  const committed = new Map<string, number>();
  const total = rate * seconds;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  let failed = 0;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    inFlight.push(
      inTransaction(db.prisma, (tx) => r.producer.publish(tx, 'stock.changed', { sku: `STEADY-${i % 500}`, available: i, version: 1_000_000 + i })).then(
        (eventId) => void committed.set(eventId, performance.now()),
        () => void failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  await waitFor(() => [...committed.keys()].every((id) => r.handled.has(id)), 120_000);
  return { latencies: [...committed].map(([id, at]) => Math.max(0, r.handled.get(id)! - at)), failed };
}

interface Figures {
  engine: Engine;
  server: string;
  perS: number;
  singlePerS: number;
  cpuMsPerEvent: number;
  singleCpuMsPerEvent: number;
  p50: number;
  p99: number;
  steadyFailed: number;
}

/** Every figure of one engine, on a fresh migrated database of its own. */
async function measure(engine: Engine, ceilingOf: (url: string) => Promise<void>): Promise<Figures> {
  const database = await benchDatabase(`events_${engine.replace('-', '_')}`);
  try {
    await ceilingOf(database.url);
    const r = await rig(database.url, engine);
    const db = createDatabase(database.url, { poolMax: PUBLISHERS + 2 });
    // Warm up connections, JIT and queues before measuring.
    await throughput(r, db, 1_000, 10);
    const { perS, cpuMsPerEvent, split } = await throughput(r, db, THROUGHPUT_EVENTS, 10);
    print(`  [${engine}] throughput: ${THROUGHPUT_EVENTS} events outbox → ${engine} → consumer, 10 per producer transaction   ${Math.round(perS)} events/s, ${round(cpuMsPerEvent, 3)} ms CPU per event (${split})`);
    // The same with one event per producer transaction: then every event costs the producer a commit.
    const singles = Math.round(THROUGHPUT_EVENTS / 2);
    const { perS: singlePerS, cpuMsPerEvent: singleCpuMsPerEvent, split: singleSplit } = await throughput(r, db, singles, 1);
    print(`  [${engine}] throughput: ${singles} events, 1 per producer transaction   ${Math.round(singlePerS)} events/s, ${round(singleCpuMsPerEvent, 3)} ms CPU per event (${singleSplit})`);
    const { latencies, failed } = await steady(r, db, STEADY_RATE, STEADY_SECONDS);
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    const failures = failed ? ` (${failed} producer transactions failed: the machine did not hold the rate)` : '';
    print(`  [${engine}] hop latency at a steady ${STEADY_RATE} events/s for ${STEADY_SECONDS} s (commit → handler): p50 ${round(p50)} ms, p99 ${round(p99)} ms${failures}`);
    await r.stop();
    await db.close();
    return { engine, server: database.server, perS, singlePerS, cpuMsPerEvent, singleCpuMsPerEvent, p50, p99, steadyFailed: failed };
  } finally {
    await database.drop();
  }
}

let emulator: { stop(): Promise<void> } | undefined;
try {
  if (TRANSPORT === 'pubsub' && !process.env['PUBSUB_EMULATOR_HOST']) {
    const { startPubSubEmulator } = await import('../../libs/events/test/pubsub/emulator');
    const started = await startPubSubEmulator({ projectId: 'bench-project' });
    process.env['PUBSUB_EMULATOR_HOST'] = started.host;
    process.env['METADATA_SERVER_DETECTION'] = 'none';
    emulator = started;
  }
  print(`bench:events — transport ${TRANSPORT}, engines ${ENGINES.join(', ')}`);
  let ceilingPerS = NaN;
  const figures: Figures[] = [];
  for (const engine of ENGINES) {
    figures.push(
      await measure(engine, async (url) => {
        if (!Number.isNaN(ceilingPerS)) return;
        ceilingPerS = await ceiling(url, THROUGHPUT_EVENTS);
        print(`  ceiling: bare INSERT + NOTIFY, ${PUBLISHERS} connections   ${Math.round(ceilingPerS)} transactions/s`);
      }),
    );
  }
  print(`  server: ${figures[0]!.server}`);
  const json = (f: Figures) => ({
    throughput_per_s: Math.round(f.perS),
    hop_p50_ms: round(f.p50, 2),
    hop_p99_ms: round(f.p99, 2),
    throughput_to_ceiling: round(f.perS / ceilingPerS, 3),
    throughput_one_per_tx_per_s: Math.round(f.singlePerS),
    cpu_ms_per_event: round(f.cpuMsPerEvent, 3),
    cpu_ms_per_event_one_per_tx: round(f.singleCpuMsPerEvent, 3),
    steady_failed: f.steadyFailed,
  });
  // The top-level figures are the first engine's (pg-boss, the default, unless BENCH_ENGINE chose one), as before.
  const first = figures[0]!;
  console.log(
    JSON.stringify({
      bench: 'events',
      transport: TRANSPORT,
      engine: first.engine,
      ...json(first),
      ceiling_per_s: Math.round(ceilingPerS),
      steady_rate_per_s: STEADY_RATE,
      events: THROUGHPUT_EVENTS,
      engines: Object.fromEntries(figures.map((f) => [f.engine, json(f)])),
    }),
  );
} finally {
  await emulator?.stop();
}
