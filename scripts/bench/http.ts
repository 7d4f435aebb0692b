// npm run bench:http — what one HTTP request costs. autocannon (50 keep-alive connections, ~10 s a run) loads,
// in turn: a bare Hono hello world on @hono/node-server in a process of its own (the baseline, same run), then
// the real services, each its own process from its bundle as `npm start` runs them, on a migrated and seeded
// database: `GET /products` (product), `GET /cart` and `POST /cart/items` (cart) as many different customers
// (created through the customer API; the runs start once the cart knows them and the product, and once the
// system is quiet). For each: requests/s, latency p50/p99, answers outside 2xx, and the CPU time per request of
// the serving process and of PostgreSQL (all its processes), read from /proc. Targets (issue 13): reads ≥ 30 %
// of hello world's requests/s; `POST /cart/items` ≤ 0.5 ms of cart CPU per request.
//
// Every customer adds one unit per request to one product: a line holds at most 1,000 units, and the
// customers are many enough that no line gets near that (checked before the run). The rate limit per customer
// (600 a minute by default) is raised out of reach, not turned off, so its bookkeeping is still paid.
import pg from 'pg';
import { untilQuiet } from '../system/quiet';
import { seed } from '../seed';
import { round, benchDatabase } from './bench-database';
import { cpuPerUnit, cpuSplitLines, verdict } from './cpu-report';
import { runLoad, startHelloWorld, type LoadResult, type LoadTarget } from './http-load';
import { findPostgresServer, startCpuMeter, treeCpuMs, type CpuSnapshot, type CpuTargets } from './process-cpu';
import { startServiceProcesses } from './service-processes';
import { addOneToCart, createCustomers, createProduct, runPool, untilCartKnows } from './shop-setup';

const CONNECTIONS = Number(process.env['HTTP_CONNECTIONS'] ?? 50);
const DURATION_S = Number(process.env['HTTP_DURATION_S'] ?? 10);
const CUSTOMERS = Number(process.env['HTTP_CUSTOMERS'] ?? 1_000);
const SKU = 'HTTP-BENCH-ITEM';
/** A cart line's limit (MAX_LINE_QUANTITY in the contracts): the adds must stay below it. */
const MAX_LINE_UNITS = 1_000;
const TARGET_READ_RATIO = 0.3;
const TARGET_ADD_CART_CPU_MS = 0.5;
const print = (line: string) => console.log(line);

interface RunFigures extends LoadResult {
  name: string;
  /** CPU milliseconds of the serving process (and PostgreSQL's, when counted) over the run. */
  cpu: CpuSnapshot;
}

/**
 * Runs one load against `target` while reading the CPU of `targets`. When autocannon stops, the server may
 * still be working on up to one request per connection: the next run (or the shutdown) waits until the first
 * target, the serving process, is idle again (at most 20 ms of CPU in 200 ms, or 10 s), so none of this run's
 * work is counted in the next one.
 */
async function measure(name: string, target: LoadTarget, targets: CpuTargets): Promise<RunFigures> {
  const meter = startCpuMeter(targets);
  const load = await runLoad(target, { connections: CONNECTIONS, durationS: DURATION_S });
  const cpu = meter.stop();
  const server = Object.values(targets)[0]!;
  for (let i = 0; i < 50; i++) {
    const before = treeCpuMs(server) ?? 0;
    await new Promise((r) => setTimeout(r, 200));
    if ((treeCpuMs(server) ?? 0) - before <= 20) break;
  }
  return { name, ...load, cpu };
}

/** Customers in turn, one per request, so that the adds spread over every cart. */
function customerRotation(customers: readonly string[]): () => Record<string, string> {
  let next = 0;
  return () => ({ 'x-customer-id': customers[next++ % customers.length]! });
}

print(`bench:http — autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per run; every server its own process`);
const results: RunFigures[] = [];

const hello = await startHelloWorld();
try {
  results.push(await measure('hello world', { url: hello.url }, { 'hello world': hello.pid }));
} finally {
  await hello.stop();
}

const database = await benchDatabase('http');
const db = new pg.Pool({ connectionString: database.url, max: 2 });
let postgresNotCounted: string | undefined;
try {
  await seed(database.url);
  const services = await startServiceProcesses(database.url, { RATE_LIMIT_REQUESTS: '1000000' });
  try {
    const { urls, pids } = services;
    await createProduct(urls.product, { sku: SKU, name: 'HTTP bench item', price_cents: 100 });
    const customers = await createCustomers(urls.customer, CUSTOMERS, 'Shopper');
    await untilCartKnows(db, customers, [SKU]);
    // Every cart holds a line before the reads, so that GET /cart reads a cart, not an empty answer.
    await runPool(customers, 50, (id) => addOneToCart(urls.cart, id, SKU));
    await untilQuiet(db, { queues: true, timeoutMs: 120_000 });

    const server = await findPostgresServer(database.url, database.dataDir);
    const withPostgres = (targets: CpuTargets): CpuTargets => (server.counted ? { ...targets, postgresql: server.postmaster } : targets);
    if (!server.counted) postgresNotCounted = server.reason;
    else if (server.caveat) print(`  note: PostgreSQL's CPU: ${server.caveat}`);

    results.push(await measure('GET /products', { url: `${urls.product}/products` }, withPostgres({ product: pids.product })));
    results.push(await measure('GET /cart', { url: `${urls.cart}/cart`, perRequest: customerRotation(customers) }, withPostgres({ cart: pids.cart })));
    const add = await measure(
      'POST /cart/items',
      { url: `${urls.cart}/cart/items`, method: 'POST', body: { product_sku: SKU, quantity: 1 }, perRequest: customerRotation(customers) },
      withPostgres({ cart: pids.cart }),
    );
    results.push(add);
    const { rows } = await db.query<{ most: number }>('SELECT coalesce(max(quantity), 0)::int AS most FROM cart.cart_items WHERE product_sku = $1', [SKU]);
    if (rows[0]!.most >= MAX_LINE_UNITS) print(`  !! a cart line reached ${rows[0]!.most} units: adds were refused for the line limit; raise HTTP_CUSTOMERS`);
  } finally {
    await services.stop();
  }
} finally {
  await db.end();
  await database.drop();
}

const helloPerS = results[0]!.requestsPerS;
const servingCpu = (r: RunFigures) => Object.entries(r.cpu).filter(([label]) => label !== 'postgresql');
const cpuPerRequest = (r: RunFigures, which: 'serving' | 'postgresql') =>
  which === 'postgresql' ? (r.cpu['postgresql'] ?? NaN) / r.requests : servingCpu(r).reduce((sum, [, ms]) => sum + ms, 0) / r.requests;

print('');
print(`  ${'run'.padEnd(17)} ${'req/s'.padStart(8)} ${'× hello'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'non-2xx'.padStart(8)} ${'errors'.padStart(7)}  CPU ms/request: server, PostgreSQL`);
for (const r of results) {
  print(
    `  ${r.name.padEnd(17)} ${String(Math.round(r.requestsPerS)).padStart(8)} ${String(round(r.requestsPerS / helloPerS, 3)).padStart(8)} ` +
      `${String(round(r.p50Ms, 1)).padStart(7)} ${String(round(r.p99Ms, 1)).padStart(7)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)}  ` +
      `${round(cpuPerRequest(r, 'serving'), 3)}, ${r.name === 'hello world' ? '–' : round(cpuPerRequest(r, 'postgresql'), 3)}`,
  );
}
for (const r of results.slice(1)) {
  print(`  CPU over ${r.name} (${r.requests} requests):`);
  for (const line of cpuSplitLines(r.cpu, r.requests, 'request', '    ')) print(line);
}
if (postgresNotCounted) print(`  !! PostgreSQL's CPU is NOT counted: ${postgresNotCounted}. Only the serving processes are.`);

const failed = results.filter((r) => r.non2xx > 0 || r.errors > 0);
for (const r of failed) {
  print(`  !! ERRORS in ${r.name}: ${r.non2xx} answers outside 2xx, ${r.errors} connection errors; by status ${JSON.stringify(r.statusCounts)}`);
  for (const failure of r.failures) print(`       ${failure}`);
}
if (failed.length > 0) print('  !! THIS RUN HAD ERRORS: its figures measure failures too and are not comparable.');

const byName = (name: string) => results.find((r) => r.name === name);
print('  targets (issue 13):');
for (const name of ['GET /products', 'GET /cart']) {
  const r = byName(name);
  if (r) print(`    ${name.padEnd(17)} ${String(round((r.requestsPerS / helloPerS) * 100)).padStart(5)} % of hello world   target ≥ ${TARGET_READ_RATIO * 100} %   ${verdict(r.requestsPerS / helloPerS >= TARGET_READ_RATIO)}`);
}
const add = byName('POST /cart/items');
if (add) {
  const addCpu = cpuPerRequest(add, 'serving');
  print(`    POST /cart/items  ${String(round(addCpu, 3)).padStart(5)} ms of cart CPU per request   target ≤ ${TARGET_ADD_CART_CPU_MS}   ${verdict(addCpu <= TARGET_ADD_CART_CPU_MS)}`);
}

/** `POST /cart/items` → `post_cart_items`. */
const key = (name: string) => name.toLowerCase().replace(/[^a-z]+/g, '_');
console.log(
  JSON.stringify({
    bench: 'http',
    connections: CONNECTIONS,
    duration_s: DURATION_S,
    customers: CUSTOMERS,
    had_errors: failed.length > 0,
    postgres_cpu_counted: !postgresNotCounted,
    ...Object.fromEntries(
      results.map((r) => [
        key(r.name),
        {
          requests_per_s: Math.round(r.requestsPerS),
          ratio_to_hello_world: round(r.requestsPerS / helloPerS, 3),
          p50_ms: round(r.p50Ms, 2),
          p99_ms: round(r.p99Ms, 2),
          non_2xx: r.non2xx,
          connection_errors: r.errors,
          server_cpu_ms_per_request: round(cpuPerRequest(r, 'serving'), 3),
          ...(r.name === 'hello world' ? {} : { postgres_cpu_ms_per_request: round(cpuPerRequest(r, 'postgresql'), 3) }),
          cpu_ms_per_request_by_process: cpuPerUnit(r.cpu, r.requests),
        },
      ]),
    ),
    targets: { read_ratio_to_hello_world: TARGET_READ_RATIO, post_cart_items_cart_cpu_ms: TARGET_ADD_CART_CPU_MS },
  }),
);
