// npm run bench:reservations — inventory's `order-requested` consumer on ONE hot SKU. 64 concurrent producers
// write N requests of 1 unit (default 5,000) for a SKU with K units in stock (default 1,000); decisions per
// second run from the first request until every request has a decision (a row in inventory.reservations,
// `reserved` or `rejected`), and the sale must not oversell. Baseline in the same run: the per-request ceiling,
// raw PostgreSQL deciding one request per transaction (one conditional UPDATE of the hot row) at 64 clients.
// Target (issue 13): ≥ 10× that ceiling, 0 oversold. Also the CPU each process spent per decision (/proc).
//
// How the requests arrive, and why: each producer writes its `order-requested` into the cart service's outbox,
// one event per transaction, through `createPublisher` (libs/events), the very call the cart makes when a
// checkout commits; a cart service process runs, so its relay publishes them through the configured transport
// as in production, and inventory runs as its own process. Publishing straight into the transport would skip
// the relay, but inventory's batches grow only as fast as messages reach it, so a bench that fed it in a way
// no producer does would measure a consumer that never runs; and with an engine in which subscriptions read
// the producers' outboxes directly, writing the outbox is publishing. The producers skip the cart's own work
// (locking the cart row), which makes them cheaper than real checkouts, never slower. When every decision came
// right after the last request was written, inventory kept pace with the producers and the figure is a lower
// bound of what the consumer can do: the output says so.
//
// Only cart and inventory run (order, notification… would compete for the two cores with work that is not
// inventory's), and re-asks and follow-ups wait an hour, so nothing but the requests is decided.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PayloadOf } from '@shop/contracts';
import { createDatabase, inTransaction } from '@shop/db';
import { createPublisher } from '@shop/events';
import { ADMIN } from '../system/system';
import { round, benchDatabase } from './bench-database';
import { conditionalUpdateCeiling } from './conditional-update-ceiling';
import { cpuPerUnit, cpuSplitLines, cpuTotal, verdict } from './cpu-report';
import { findPostgresServer, processTimes, startCpuMeter, type CpuTargets } from './process-cpu';
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

const database = await benchDatabase('reservations');
const db = new pg.Pool({ connectionString: database.url, max: 2 });
const producerDb = createDatabase(database.url, { poolMax: PRODUCERS, applicationName: 'bench-reservations-producers' });
const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
const waitingInOutboxes = () => count(`SELECT (SELECT count(*) FROM cart.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM inventory.outbox WHERE published_at IS NULL) AS n`);
try {
  const retryLater = { CHECKOUT_RETRY_AFTER_SECONDS: '3600', CHECKOUT_RETRY_MAX_SECONDS: '3600' };
  const services = await startServiceProcesses(database.url, retryLater, { services: ['cart', 'inventory'] });
  try {
    await call(`${services.urls.inventory}/inventory`, json({ sku: SKU, available: K }, ADMIN), [201]);
    await until('the stock record to be published', async () => (await waitingInOutboxes()) === 0, 60_000);

    const publish = createPublisher({ schema: 'cart', producer: 'cart' });
    const requests: PayloadOf<'order-requested'>[] = Array.from({ length: N }, () => ({
      request_id: randomUUID(),
      source: 'cart',
      cart_id: randomUUID(),
      customer_id: randomUUID(),
      items: [{ product_sku: SKU, quantity: 1, unit_price_cents: 12_900 }],
      currency: 'EUR',
      requested_at: new Date().toISOString(),
    }));
    const server = await findPostgresServer(database.url, database.dataDir);
    const targets: CpuTargets = { inventory: services.pids.inventory, 'cart (relay)': services.pids.cart };
    if (server.counted) targets['postgresql'] = server.postmaster;

    const meter = startCpuMeter(targets);
    const producersBefore = processTimes(process.pid)?.ownMs ?? NaN;
    const startedAt = performance.now();
    let producedAt = NaN;
    const produced = runPool(requests, PRODUCERS, async (request) => {
      await inTransaction(producerDb.prisma, (tx) => publish(tx, 'order-requested', request, { correlationId: request.cart_id! }));
    }).then(() => (producedAt = performance.now()));
    await until('every request to have a decision', async () => (await count('SELECT count(*) AS n FROM inventory.reservations')) >= N, 600_000);
    const decidedAt = performance.now();
    const cpu = meter.stop();
    const producersMs = (processTimes(process.pid)?.ownMs ?? NaN) - producersBefore;
    await produced;

    const statuses = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM inventory.reservations GROUP BY status');
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)]));
    const sold = await count(
      `SELECT coalesce(sum(l.quantity), 0) AS n FROM inventory.reservation_lines l JOIN inventory.reservations r USING (reservation_id)
       WHERE l.sku = $1 AND r.status IN ('reserved', 'committed')`,
      [SKU],
    );
    const stock = (await db.query<{ available: number; reserved: number }>('SELECT available, reserved FROM inventory.stock WHERE sku = $1', [SKU])).rows[0]!;
    const oversold = Math.max(0, sold - K) + Math.max(0, -stock.available);
    const seconds = (decidedAt - startedAt) / 1000;
    const decisionsPerS = N / seconds;
    const producerSeconds = (producedAt - startedAt) / 1000;
    const keptPace = decidedAt - producedAt <= KEPT_PACE_MS;
    const ratio = decisionsPerS / ceilingPerS;
    const cpuPerDecision = cpuTotal(cpu) / N;

    print(
      `  inventory: ${N} decisions in ${round(seconds, 2)} s: ${Math.round(decisionsPerS)} decisions/s; reserved ${byStatus['reserved'] ?? 0}, rejected ${byStatus['rejected'] ?? 0}; ` +
        `units sold ${sold}/${K}, available ${stock.available}, reserved ${stock.reserved}`,
    );
    print(`  producers: ${N} requests written in ${round(producerSeconds, 2)} s (${Math.round(N / producerSeconds)}/s); the last decision ${Math.round(decidedAt - producedAt)} ms after the last request`);
    if (keptPace) print(`  !! inventory kept pace with the producers (done within ${KEPT_PACE_MS} ms of the last request): decisions/s is a lower bound of the consumer's capacity`);
    print(`  CPU from the first request until every decision, per process:`);
    for (const line of cpuSplitLines(cpu, N, 'decision')) print(line);
    if (!server.counted) print(`  !! PostgreSQL's CPU is NOT counted: ${server.reason}`);
    print(`    (the producers, this process, not counted: ${Math.round(producersMs)} ms)`);
    print('  targets (issue 13):');
    print(`    ratio to the ceiling  ×${round(ratio, 2)}   target ≥ ×${TARGET_RATIO}   ${verdict(ratio >= TARGET_RATIO)}`);
    print(`    oversold              ${oversold}       target 0       ${verdict(oversold === 0)}`);
    console.log(
      JSON.stringify({
        bench: 'reservations',
        n: N,
        k: K,
        producers: PRODUCERS,
        seconds: round(seconds, 3),
        decisions_per_s: Math.round(decisionsPerS),
        ceiling_per_s: Math.round(ceilingPerS),
        ratio_to_ceiling: round(ratio, 3),
        target_ratio: TARGET_RATIO,
        reserved: byStatus['reserved'] ?? 0,
        rejected: byStatus['rejected'] ?? 0,
        oversold,
        producer_requests_per_s: Math.round(N / producerSeconds),
        kept_pace_with_producers: keptPace,
        cpu_ms_per_decision: round(cpuPerDecision, 3),
        cpu_ms_per_decision_by_process: cpuPerUnit(cpu, N),
        postgres_cpu_counted: server.counted,
      }),
    );
  } finally {
    await services.stop();
  }
} finally {
  await producerDb.close();
  await db.end();
  await database.drop();
}
