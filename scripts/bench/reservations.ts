// npm run bench:reservations — inventory's `order-requested` consumer on ONE hot SKU. 64 concurrent producers
// write N requests of 1 unit (default 5,000) for a SKU with K units in stock (default 1,000); decisions per
// second run until every request has a decision (a row in inventory.reservations, `reserved` or `rejected`),
// and the sale must not oversell. Baseline in the same run: the per-request ceiling, raw PostgreSQL deciding
// one request per transaction (one conditional UPDATE of the hot row) at 64 clients. Target (issue 13):
// ≥ 10× that ceiling, 0 oversold. Also the CPU each process spent per decision (/proc).
//
// How the requests arrive, and why: each producer writes its `order-requested` into the cart service's outbox,
// one event per transaction, through `createPublisher` (libs/events), the very call the cart makes when a
// checkout commits; a cart service process runs, so its relay publishes them through the configured transport
// as in production, and inventory runs as its own process. With an engine in which subscriptions read the
// producers' outboxes directly, writing the outbox is publishing, so this stays the honest way in. The
// producers skip the cart's own work (locking the cart row), which makes them cheaper than real checkouts.
//
// Two sales, on two SKUs of K units each:
// - live: inventory consumes while the producers write; decisions/s from the first request written until
//   every one is decided. One event per producer transaction commits no faster than the ceiling itself does
//   (each commit flushes, and the relay's NOTIFY serialises commits), so this sale measures the whole path
//   and is bound by the producers whenever inventory keeps pace: the output says when it did.
// - backlog (the target's figure): inventory is paused (SIGSTOP) while the producers write and the cart's relay
//   hands every request to the transport; the clock starts when inventory resumes (SIGCONT) and stops when
//   every request has a decision. That is the consumer's own capacity on a hot SKU, whatever the producers'.
//
// Only cart and inventory run (order, notification… would compete for the two cores with work that is not
// inventory's), and re-asks and follow-ups wait an hour, so nothing but the requests is decided. The cart,
// besides relaying, consumes inventory's answers (`stock.rejected`, for carts it does not know: ignored), as it
// would in production; its CPU is shown apart from inventory's.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PayloadOf } from '@shop/contracts';
import { createDatabase, inTransaction } from '@shop/db';
import { createPublisher } from '@shop/events';
import { ADMIN } from '../system/system';
import { round, benchDatabase } from './bench-database';
import { conditionalUpdateCeiling } from './conditional-update-ceiling';
import { printStatementProfile, resetStatementProfile } from './statement-profile';
import { cpuPerUnit, cpuSplitLines, cpuTotal, verdict } from './cpu-report';
import { findPostgresServer, processTimes, startCpuMeter, type CpuSnapshot, type CpuTargets } from './process-cpu';
import { startServiceProcesses } from './service-processes';
import { call, json, runPool, until } from './shop-setup';

const N = Number(process.env['RESERVATIONS_N'] ?? 5_000);
const K = Number(process.env['RESERVATIONS_K'] ?? 1_000);
const PRODUCERS = Number(process.env['RESERVATIONS_PRODUCERS'] ?? 64);
const SKU = 'HOT-SKU';
const TARGET_RATIO = 10;
/** Decisions done within this long after the last request was written: inventory kept pace with the producers. */
const KEPT_PACE_MS = 250;
const print = (line: string) => console.log(line);

print(`bench:reservations — ${N} order-requested of 1 unit for one SKU with ${K} units, from ${PRODUCERS} concurrent producers, into inventory's consumer (its own process)`);
const ceilingPerS = await conditionalUpdateCeiling({ requests: N, stock: K, concurrency: PRODUCERS, sku: SKU });
print(`  ceiling: raw PostgreSQL, one conditional UPDATE per transaction at ${PRODUCERS} clients   ${Math.round(ceilingPerS)} decisions/s`);

interface SaleFigures {
  label: string;
  seconds: number;
  decisionsPerS: number;
  reserved: number;
  rejected: number;
  sold: number;
  available: number;
  oversold: number;
  /** Producers' own rate (live sale), and whether inventory finished within KEPT_PACE_MS of them. */
  producerPerS: number;
  keptPace: boolean;
  cpu: CpuSnapshot;
  /** CPU milliseconds of this process (the producers) over the measured time; not counted. */
  producersMs: number;
}

const database = await benchDatabase('reservations');
const db = new pg.Pool({ connectionString: database.url, max: 2 });
const producerDb = createDatabase(database.url, { poolMax: PRODUCERS, applicationName: 'bench-reservations-producers' });
const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
const waitingInOutboxes = () => count(`SELECT (SELECT count(*) FROM cart.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM inventory.outbox WHERE published_at IS NULL) AS n`);
const waitingInCartOutbox = () => count('SELECT count(*) AS n FROM cart.outbox WHERE published_at IS NULL');
const decisions = () => count('SELECT count(*) AS n FROM inventory.reservations');
const publish = createPublisher({ schema: 'cart', producer: 'cart' });

/** N requests of one unit of `sku`, each from a cart of its own, as the cart publishes them. */
function requestsFor(sku: string): PayloadOf<'order-requested'>[] {
  return Array.from({ length: N }, () => ({
    request_id: randomUUID(),
    source: 'cart',
    cart_id: randomUUID(),
    customer_id: randomUUID(),
    items: [{ product_sku: sku, quantity: 1, unit_price_cents: 12_900 }],
    currency: 'EUR',
    requested_at: new Date().toISOString(),
  }));
}

/** The 64 producers: each request in a transaction of its own, as a checkout commits it. */
async function produce(requests: PayloadOf<'order-requested'>[]): Promise<void> {
  await runPool(requests, PRODUCERS, async (request) => {
    await inTransaction(producerDb.prisma, (tx) => publish(tx, 'order-requested', request, { correlationId: request.cart_id! }));
  });
}

/** What the sale of `sku` left: decisions by status, units sold, the stock row. */
async function outcomeOf(sku: string): Promise<Pick<SaleFigures, 'reserved' | 'rejected' | 'sold' | 'available' | 'oversold'>> {
  const { rows } = await db.query<{ reserved: string; rejected: string; sold: string }>(
    `SELECT count(DISTINCT r.reservation_id) FILTER (WHERE r.status IN ('reserved', 'committed')) AS reserved,
            count(DISTINCT r.reservation_id) FILTER (WHERE r.status = 'rejected') AS rejected,
            coalesce(sum(l.quantity) FILTER (WHERE r.status IN ('reserved', 'committed')), 0) AS sold
     FROM inventory.reservations r LEFT JOIN inventory.reservation_lines l USING (reservation_id)
     WHERE coalesce(l.sku, r.rejection -> 'details' -> 0 ->> 'product_sku') = $1`,
    [sku],
  );
  const stock = (await db.query<{ available: number }>('SELECT available FROM inventory.stock WHERE sku = $1', [sku])).rows[0]!;
  const sold = Number(rows[0]!.sold);
  return { reserved: Number(rows[0]!.reserved), rejected: Number(rows[0]!.rejected), sold, available: stock.available, oversold: Math.max(0, sold - K) + Math.max(0, -stock.available) };
}

const LIVE_SKU = 'HOT-SKU-LIVE';
const BACKLOG_SKU = 'HOT-SKU-BACKLOG';
let live: SaleFigures;
let backlog: SaleFigures;
let postgresNotCounted: string | undefined;
try {
  const retryLater = { CHECKOUT_RETRY_AFTER_SECONDS: '3600', CHECKOUT_RETRY_MAX_SECONDS: '3600' };
  const services = await startServiceProcesses(database.url, retryLater, { services: ['cart', 'inventory'] });
  try {
    for (const sku of [LIVE_SKU, BACKLOG_SKU]) await call(`${services.urls.inventory}/inventory`, json({ sku, available: K }, ADMIN), [201]);
    await until('the stock records to be published', async () => (await waitingInOutboxes()) === 0, 60_000);
    const server = await findPostgresServer(database.url, database.dataDir);
    const targets: CpuTargets = { inventory: services.pids.inventory, cart: services.pids.cart };
    if (server.counted) targets['postgresql'] = server.postmaster;
    else postgresNotCounted = server.reason;
    if (server.counted && server.caveat) print(`  note: PostgreSQL's CPU: ${server.caveat}`);
    /** Measures from now until `decided` requests have a decision in all. */
    const measureUntilDecided = async (decided: number, during: Promise<unknown> = Promise.resolve()) => {
      const meter = startCpuMeter(targets);
      const producersBefore = processTimes(process.pid)?.ownMs ?? NaN;
      const startedAt = performance.now();
      let producedAt = startedAt;
      const produced = during.then(() => (producedAt = performance.now()));
      await until('every request to have a decision', async () => (await decisions()) >= decided, 600_000);
      const decidedAt = performance.now();
      const cpu = meter.stop();
      const producersMs = (processTimes(process.pid)?.ownMs ?? NaN) - producersBefore;
      await produced;
      const seconds = (decidedAt - startedAt) / 1000;
      return { seconds, decisionsPerS: N / seconds, producerPerS: N / ((producedAt - startedAt) / 1000), keptPace: decidedAt - producedAt <= KEPT_PACE_MS, cpu, producersMs };
    };

    const liveRun = await measureUntilDecided(N, produce(requestsFor(LIVE_SKU)));
    live = { label: 'live', ...liveRun, ...(await outcomeOf(LIVE_SKU)) };

    // The live sale's answers may still be relaying (a paced relay marks them after the decisions are in): a
    // relay stopped mid-batch would leave them unpublished until inventory resumes.
    await until("inventory's answers to be published", async () => (await waitingInOutboxes()) === 0, 60_000);
    // inventory stopped in its tracks (no shutdown: it resumes where it was), the backlog handed to the transport.
    process.kill(services.pids.inventory, 'SIGSTOP');
    try {
      await produce(requestsFor(BACKLOG_SKU));
      await until('the cart relay to hand every request to the transport', async () => (await waitingInCartOutbox()) === 0, 600_000);
      await resetStatementProfile(database.url);
    } finally {
      process.kill(services.pids.inventory, 'SIGCONT');
    }
    const backlogRun = await measureUntilDecided(2 * N);
    backlog = { label: 'backlog', ...backlogRun, producerPerS: NaN, keptPace: false, ...(await outcomeOf(BACKLOG_SKU)) };
    await printStatementProfile(database.url, print, { count: N, unit: 'decision' }, 25);
  } finally {
    await services.stop();
  }
} finally {
  await producerDb.close();
  await db.end();
  await database.drop();
}

for (const sale of [live, backlog]) {
  print(
    `  ${sale.label.padEnd(7)}: ${N} decisions in ${round(sale.seconds, 2)} s: ${Math.round(sale.decisionsPerS)} decisions/s (×${round(sale.decisionsPerS / ceilingPerS, 2)} the ceiling); ` +
      `reserved ${sale.reserved}, rejected ${sale.rejected}; units sold ${sale.sold}/${K}, available ${sale.available}, oversold ${sale.oversold}`,
  );
  if (sale.label === 'live') {
    print(`           the producers wrote ${Math.round(sale.producerPerS)} requests/s` + (sale.keptPace ? `; !! inventory kept pace with them (done within ${KEPT_PACE_MS} ms of the last request): the figure is theirs, a lower bound of the consumer's` : ''));
  } else {
    print('           clock from inventory resuming (SIGCONT) with every request waiting in the transport');
  }
  print(`    CPU over the ${sale.label} sale, per process:`);
  for (const line of cpuSplitLines(sale.cpu, N, 'decision', '      ')) print(line);
  print(`      (the producers, this process, not counted: ${Math.round(sale.producersMs)} ms)`);
}
if (postgresNotCounted) print(`  !! PostgreSQL's CPU is NOT counted: ${postgresNotCounted}`);
const ratio = backlog.decisionsPerS / ceilingPerS;
const oversold = live.oversold + backlog.oversold;
print('  targets (issue 13):');
print(`    backlog ratio to the ceiling  ×${round(ratio, 2)}   target ≥ ×${TARGET_RATIO}   ${verdict(ratio >= TARGET_RATIO)}`);
print(`    oversold (both sales)         ${oversold}       target 0       ${verdict(oversold === 0)}`);
const figures = (sale: SaleFigures) => ({
  seconds: round(sale.seconds, 3),
  decisions_per_s: Math.round(sale.decisionsPerS),
  ratio_to_ceiling: round(sale.decisionsPerS / ceilingPerS, 3),
  reserved: sale.reserved,
  rejected: sale.rejected,
  oversold: sale.oversold,
  cpu_ms_per_decision: round(cpuTotal(sale.cpu) / N, 3),
  cpu_ms_per_decision_by_process: cpuPerUnit(sale.cpu, N),
});
console.log(
  JSON.stringify({
    bench: 'reservations',
    n: N,
    k: K,
    producers: PRODUCERS,
    ceiling_per_s: Math.round(ceilingPerS),
    decisions_per_s: Math.round(backlog.decisionsPerS),
    ratio_to_ceiling: round(ratio, 3),
    target_ratio: TARGET_RATIO,
    oversold,
    backlog: figures(backlog),
    live: { ...figures(live), producer_requests_per_s: Math.round(live.producerPerS), kept_pace_with_producers: live.keptPace },
    postgres_cpu_counted: !postgresNotCounted,
  }),
);
