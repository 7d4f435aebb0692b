// npm run bench:flash-sale — N customers (default 2,000) race through the HTTP API for a product with K units
// (default 200). Prints confirmed orders (must be K), oversold units (must be 0), unresolved carts (must be 0),
// time until every cart is final, checkouts per second and checkout-to-final latency; the CPU time each service
// process and PostgreSQL spent over the race (read from /proc), per checkout; and, in the same run, the raw
// PostgreSQL ceiling for the same work and the same sale with inventory's batching off. Targets (issue 13):
// ≥ 400 checkouts/s, checkout → final p99 ≤ 1,000 ms, ≤ 5 ms of CPU per checkout for the whole system.
import pg from 'pg';
import { untilQuiet } from '../system/quiet';
import { ADMIN, startSystem } from '../system/system';
import { quantile, round, benchDatabase, type BenchDatabase } from './bench-database';
import { conditionalUpdateCeiling } from './conditional-update-ceiling';
import { cpuPerUnit, cpuSplitLines, cpuTotal, verdict } from './cpu-report';
import { findPostgresServer, processTimes, startCpuMeter, type CpuSnapshot, type CpuTargets } from './process-cpu';
import { startOtlpSink } from './otlp-sink';
import { startServiceProcesses } from './service-processes';
import { printStatementProfile, resetStatementProfile, statementProfileWanted } from './statement-profile';
import { addOneToCart, call, createCustomers, createProduct, json, retriedUnavailable, runPool, until, untilCartKnows } from './shop-setup';

const N = Number(process.env['FLASH_N'] ?? 2_000);
const K = Number(process.env['FLASH_K'] ?? 200);
const CONCURRENCY = Number(process.env['FLASH_CONCURRENCY'] ?? 200);
/** As `npm start` runs them (a process per service), or all in this process (FLASH_IN_PROCESS=1). */
const IN_PROCESS = process.env['FLASH_IN_PROCESS'] === '1';
/** FLASH_TRACING=1: the batched sale once more with every service tracing (OTLP to a local sink), for tracing's cost. */
const COMPARE_TRACING = process.env['FLASH_TRACING'] === '1' && !IN_PROCESS;
const SKU = 'FLASH-SNEAKER';
const print = (line: string) => console.log(line);
const TARGET_CHECKOUTS_PER_S = 400;
const TARGET_P99_MS = 1_000;
const TARGET_CPU_MS_PER_CHECKOUT = 5;

interface SaleResult {
  confirmed: number;
  oversold: number;
  unresolved: number;
  secondsToFinal: number;
  secondsAfterLastCheckout: number;
  checkoutsPerS: number;
  p50: number;
  p99: number;
  available: number;
  /** CPU milliseconds per process over the race (from the first checkout until every cart is final). */
  cpu: CpuSnapshot;
  /** Why PostgreSQL's CPU is not in `cpu`, when it is not. */
  postgresNotCounted?: string;
  /** CPU milliseconds of this process (the clients) over the race: the load, not the system; not counted. */
  loadGeneratorMs: number;
}

/**
 * The process trees the race's CPU is read from: each service's process and PostgreSQL's postmaster with all
 * its children. With FLASH_IN_PROCESS=1 the services run in this process (whose tree also holds the embedded
 * PostgreSQL), so its own time is read apart, with the clients in it.
 */
async function cpuTargets(database: BenchDatabase, servicePids: Record<string, number> | undefined): Promise<{ targets: CpuTargets; postgresNotCounted?: string }> {
  const targets: CpuTargets = { ...servicePids };
  const server = await findPostgresServer(database.url, database.dataDir);
  if (!server.counted) return { targets, postgresNotCounted: server.reason };
  if (server.caveat) print(`  note: PostgreSQL's CPU: ${server.caveat}`);
  targets['postgresql'] = server.postmaster;
  return { targets };
}

/** One sale on a fresh database: set up, race, wait until every cart is final, count. */
async function sale(batchSize: number | undefined, env: Record<string, string> = {}): Promise<SaleResult> {
  const database = await benchDatabase(batchSize === 1 ? 'flash_unbatched' : 'flash');
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  let stopServices: () => Promise<void> = async () => undefined;
  try {
    let urls: Record<string, string>;
    let servicePids: Record<string, number> | undefined;
    if (IN_PROCESS) {
      const system = await startSystem({ databaseUrl: database.url, inventoryBatchSize: batchSize, logLevel: 'error' });
      stopServices = () => system.stop();
      urls = await system.listen();
    } else {
      const processes = await startServiceProcesses(database.url, { ...(batchSize ? { EVENT_BATCH_SIZE: String(batchSize) } : {}), ...env });
      stopServices = processes.stop;
      urls = processes.urls;
      servicePids = processes.pids;
    }
    await createProduct(urls.product!, { sku: SKU, name: 'Flash-sale sneaker', price_cents: 12_900 });
    await call(`${urls.inventory}/inventory`, json({ sku: SKU, available: K }, ADMIN), [201]);
    const customers = await createCustomers(urls.customer!, N);
    // The cart learns customers and the product from events before anyone can shop.
    await untilCartKnows(db, customers, [SKU]);
    await runPool(customers, 50, (id) => addOneToCart(urls.cart!, id, SKU));
    await untilQuiet(db, { queues: true, timeoutMs: 120_000 });

    // The race: every customer checks out at once (at most CONCURRENCY requests in flight).
    const { targets, postgresNotCounted } = await cpuTargets(database, servicePids);
    await resetStatementProfile(database.url);
    const meter = startCpuMeter(targets);
    const loadBefore = processTimes(process.pid)?.ownMs ?? NaN;
    const startedAt = Date.now();
    const submittedAt = new Map<string, number>();
    await runPool(customers, CONCURRENCY, async (id) => {
      submittedAt.set(id, Date.now());
      await call(`${urls.cart}/cart/convert-to-order`, { method: 'POST', headers: { 'X-Customer-Id': id } }, [202], { retryUnavailable: true });
    });
    const lastCheckoutAt = Date.now();
    const finalSql = `SELECT count(*) FILTER (WHERE status IN ('ordered', 'stock-unavailable'))::int AS final FROM cart.carts WHERE customer_id = ANY($1::uuid[])`;
    await until('every cart to be final', async () => (await db.query(finalSql, [customers])).rows[0].final >= N, 120_000).catch(() => undefined);
    const loadGeneratorMs = (processTimes(process.pid)?.ownMs ?? NaN) - loadBefore;
    const cpu = IN_PROCESS ? { 'services and clients (this process)': loadGeneratorMs, ...meter.stop() } : meter.stop();
    const { rows: carts } = await db.query<{ customer_id: string; status: string; updated_at: Date }>(
      'SELECT customer_id::text, status, updated_at FROM cart.carts WHERE customer_id = ANY($1::uuid[])',
      [customers],
    );
    const finals = carts.filter((c) => c.status === 'ordered' || c.status === 'stock-unavailable');
    const lastFinal = Math.max(...finals.map((c) => c.updated_at.getTime()));
    const latencies = finals.map((c) => c.updated_at.getTime() - (submittedAt.get(c.customer_id) ?? startedAt));
    const confirmed = Number((await db.query(`SELECT count(*) FROM "order".orders WHERE status = 'confirmed'`)).rows[0].count);
    const { rows: stock } = await db.query<{ available: number; reserved: number }>('SELECT available, reserved FROM inventory.stock WHERE sku = $1', [SKU]);
    const { rows: sold } = await db.query<{ units: string }>(
      `SELECT coalesce(sum(l.quantity), 0)::text AS units FROM inventory.reservation_lines l JOIN inventory.reservations r USING (reservation_id)
       WHERE l.sku = $1 AND r.status IN ('reserved', 'committed')`,
      [SKU],
    );
    const secondsToFinal = (lastFinal - startedAt) / 1000;
    // The statements of everything the checkouts caused, notifications and their deliveries included.
    if (statementProfileWanted() && batchSize === undefined) {
      await untilQuiet(db, { queues: true, timeoutMs: 120_000 });
      await printStatementProfile(database.url, print, { count: N, unit: 'checkout' }, 25);
    }
    return {
      confirmed,
      oversold: Math.max(0, Number(sold[0]?.units ?? 0) - K) + (stock[0] && stock[0].available < 0 ? -stock[0].available : 0),
      unresolved: N - finals.length,
      secondsToFinal,
      secondsAfterLastCheckout: (lastFinal - lastCheckoutAt) / 1000,
      checkoutsPerS: N / secondsToFinal,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      available: stock[0]?.available ?? NaN,
      cpu,
      ...(postgresNotCounted ? { postgresNotCounted } : {}),
      loadGeneratorMs,
    };
  } finally {
    await stopServices();
    await db.end();
    await database.drop();
  }
}

print(
  `bench:flash-sale — ${N} customers race for ${K} units through the HTTP API (${CONCURRENCY} checkouts in flight), ` +
    (IN_PROCESS ? 'all services in this process' : 'each service its own process, as npm start runs them'),
);
const ceilingPerS = await conditionalUpdateCeiling({ requests: N, stock: K, concurrency: CONCURRENCY, sku: SKU });
print(`  ceiling: raw PostgreSQL, one conditional UPDATE per transaction      ${Math.round(ceilingPerS)} checkouts/s`);
const batched = await sale(undefined);
const report = (label: string, r: SaleResult) =>
  print(
    `  ${label}: confirmed ${r.confirmed}/${K}, oversold ${r.oversold}, unresolved ${r.unresolved}, available ${r.available}; ` +
      `all final ${round(r.secondsToFinal, 2)} s after the first checkout (${round(r.secondsAfterLastCheckout, 2)} s after the last); ` +
      `${Math.round(r.checkoutsPerS)} checkouts/s (${round((r.checkoutsPerS / ceilingPerS) * 100)}% of ceiling); checkout → final p50 ${Math.round(r.p50)} ms, p99 ${Math.round(r.p99)} ms`,
  );
report('batched (50)', batched);
const cpuMs = cpuTotal(batched.cpu);
const cpuPerCheckout = cpuMs / N;
print(`  CPU over the race (first checkout until every cart final, ${round(batched.secondsToFinal, 2)} s), per process:`);
for (const line of cpuSplitLines(batched.cpu, N, 'checkout')) print(line);
if (batched.postgresNotCounted) print(`  !! PostgreSQL's CPU is NOT counted: ${batched.postgresNotCounted}. The figures above are the services' only.`);
if (!IN_PROCESS) print(`    (the clients, this process, not counted: ${Math.round(batched.loadGeneratorMs)} ms)`);
print('  targets (issue 13):');
print(`    checkouts/s        ${String(Math.round(batched.checkoutsPerS)).padStart(7)}   target ≥ ${TARGET_CHECKOUTS_PER_S}      ${verdict(batched.checkoutsPerS >= TARGET_CHECKOUTS_PER_S)}`);
print(`    p99 to final (ms)  ${String(Math.round(batched.p99)).padStart(7)}   target ≤ ${TARGET_P99_MS.toLocaleString('en')}    ${verdict(batched.p99 <= TARGET_P99_MS)}`);
print(
  `    CPU ms/checkout    ${String(round(cpuPerCheckout, 2)).padStart(7)}   target ≤ ${TARGET_CPU_MS_PER_CHECKOUT}        ${verdict(cpuPerCheckout <= TARGET_CPU_MS_PER_CHECKOUT)}` +
    (batched.postgresNotCounted ? ' (services only: PostgreSQL not counted)' : ''),
);
print(`    oversold ${batched.oversold}, unresolved ${batched.unresolved}   target 0, 0   ${verdict(batched.oversold === 0 && batched.unresolved === 0)}`);
let traced: SaleResult | undefined;
if (COMPARE_TRACING) {
  const sink = await startOtlpSink();
  try {
    traced = await sale(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, TRACE_EXPORTER: 'otlp' });
  } finally {
    await sink.close();
  }
  report('batched (50), every service tracing', traced);
  print(`    traces exported: ${sink.received.requests} OTLP requests, ${round(sink.received.bytes / 1024 / 1024)} MiB`);
  for (const line of cpuSplitLines(traced.cpu, N, 'checkout')) print(line);
  print(
    `  tracing's cost: CPU ${round(cpuTotal(traced.cpu) / N, 2)} against ${round(cpuPerCheckout, 2)} ms/checkout (×${round(cpuTotal(traced.cpu) / cpuMs, 2)}), ` +
      `${Math.round(traced.checkoutsPerS)} against ${Math.round(batched.checkoutsPerS)} checkouts/s (×${round(traced.checkoutsPerS / batched.checkoutsPerS, 2)}), ` +
      `p99 ${Math.round(traced.p99)} against ${Math.round(batched.p99)} ms`,
  );
}
const unbatched = await sale(1);
report('unbatched (1)', unbatched);
print(`  unbatched CPU: ${round(cpuTotal(unbatched.cpu) / N, 2)} ms/checkout${unbatched.postgresNotCounted ? ' (services only)' : ''}`);
print(`  batching speed-up: ×${round(batched.checkoutsPerS / unbatched.checkoutsPerS, 2)}`);
if (retriedUnavailable() > 0) {
  print(`  !! ${retriedUnavailable()} requests were answered 503 (a service's database pool busy: the machine is crowded) or cut off, and sent again (with the same Idempotency-Key where the endpoint takes one)`);
}
console.log(
  JSON.stringify({
    bench: 'flash-sale',
    n: N,
    k: K,
    confirmed: batched.confirmed,
    oversold: batched.oversold,
    unresolved: batched.unresolved,
    seconds_to_final: round(batched.secondsToFinal, 3),
    seconds_after_last_checkout: round(batched.secondsAfterLastCheckout, 3),
    checkouts_per_s: Math.round(batched.checkoutsPerS),
    p50_ms: Math.round(batched.p50),
    p99_ms: Math.round(batched.p99),
    ceiling_per_s: Math.round(ceilingPerS),
    ratio_to_ceiling: round(batched.checkoutsPerS / ceilingPerS, 3),
    cpu_ms_per_checkout: round(cpuPerCheckout, 3),
    cpu_ms_per_checkout_by_process: cpuPerUnit(batched.cpu, N),
    postgres_cpu_counted: !batched.postgresNotCounted,
    targets: { checkouts_per_s: TARGET_CHECKOUTS_PER_S, p99_ms: TARGET_P99_MS, cpu_ms_per_checkout: TARGET_CPU_MS_PER_CHECKOUT },
    unbatched_checkouts_per_s: Math.round(unbatched.checkoutsPerS),
    unbatched_cpu_ms_per_checkout: round(cpuTotal(unbatched.cpu) / N, 3),
    batching_speedup: round(batched.checkoutsPerS / unbatched.checkoutsPerS, 2),
    unbatched_confirmed: unbatched.confirmed,
    unbatched_oversold: unbatched.oversold,
    requests_sent_again: retriedUnavailable(),
    ...(traced
      ? {
          traced_checkouts_per_s: Math.round(traced.checkoutsPerS),
          traced_p99_ms: Math.round(traced.p99),
          traced_cpu_ms_per_checkout: round(cpuTotal(traced.cpu) / N, 3),
          tracing_cpu_ratio: round(cpuTotal(traced.cpu) / cpuMs, 3),
        }
      : {}),
  }),
);
