// npm run bench:flash-sale — N customers (default 2,000) race through the HTTP API for a product with K units
// (default 200). Prints confirmed orders (must be K), oversold units (must be 0), unresolved carts (must be 0),
// time until every cart is final, checkouts per second and checkout-to-final latency; and, in the same run,
// the raw PostgreSQL ceiling for the same work and the same sale with inventory's batching off.
import pg from 'pg';
import { quantile, round, benchDatabase } from './bench-database';
import { untilQuiet } from '../system/quiet';
import { ADMIN, startSystem } from '../system/system';
import { startServiceProcesses } from './service-processes';

const N = Number(process.env['FLASH_N'] ?? 2_000);
const K = Number(process.env['FLASH_K'] ?? 200);
const CONCURRENCY = Number(process.env['FLASH_CONCURRENCY'] ?? 200);
/** As `npm start` runs them (a process per service), or all in this process (FLASH_IN_PROCESS=1). */
const IN_PROCESS = process.env['FLASH_IN_PROCESS'] === '1';
const SKU = 'FLASH-SNEAKER';
const print = (line: string) => console.log(line);

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
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

async function call(url: string, init: RequestInit, expected: number[]): Promise<Response> {
  const res = await fetch(url, init);
  if (!expected.includes(res.status)) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status}: ${await res.text()}`);
  return res;
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One sale on a fresh database: set up, race, wait until every cart is final, count. */
async function sale(batchSize: number | undefined): Promise<SaleResult> {
  const database = await benchDatabase(batchSize === 1 ? 'flash_unbatched' : 'flash');
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  let stopServices: () => Promise<void> = async () => undefined;
  try {
    let urls: Record<string, string>;
    if (IN_PROCESS) {
      const system = await startSystem({ databaseUrl: database.url, inventoryBatchSize: batchSize, logLevel: 'error' });
      stopServices = () => system.stop();
      urls = await system.listen();
    } else {
      const processes = await startServiceProcesses(database.url, batchSize ? { EVENT_BATCH_SIZE: String(batchSize) } : {});
      stopServices = processes.stop;
      urls = processes.urls;
    }
    await call(`${urls.product}/products`, json({ sku: SKU, name: 'Flash-sale sneaker', price_cents: 12_900, currency: 'EUR' }, ADMIN), [201]);
    await call(`${urls.inventory}/inventory`, json({ sku: SKU, available: K }, ADMIN), [201]);
    const customers: string[] = [];
    await pool(Array.from({ length: N }, (_, i) => i), 50, async (i) => {
      const res = await call(`${urls.customer}/customers`, json({ name: `Racer ${i}`, email: `racer${i}@example.com` }, ADMIN), [201]);
      customers[i] = ((await res.json()) as { customer_id: string }).customer_id;
    });
    // The cart learns customers and the product from events before anyone can shop.
    await until('the cart to know every customer', async () => Number((await db.query('SELECT count(*) FROM cart.customers')).rows[0].count) >= N, 120_000);
    await until('the cart to know the product', async () => (await db.query('SELECT 1 FROM cart.products WHERE sku = $1', [SKU])).rowCount === 1, 60_000);
    await pool(customers, 50, async (id) => {
      await call(`${urls.cart}/cart/items`, json({ product_sku: SKU, quantity: 1 }, { 'X-Customer-Id': id }), [200]);
    });
    await untilQuiet(db, { queues: true, timeoutMs: 120_000 });

    // The race: every customer checks out at once (at most CONCURRENCY requests in flight).
    const startedAt = Date.now();
    const submittedAt = new Map<string, number>();
    await pool(customers, CONCURRENCY, async (id) => {
      submittedAt.set(id, Date.now());
      await call(`${urls.cart}/cart/convert-to-order`, { method: 'POST', headers: { 'X-Customer-Id': id } }, [202]);
    });
    const lastCheckoutAt = Date.now();
    const finalSql = `SELECT count(*) FILTER (WHERE status IN ('ordered', 'stock-unavailable'))::int AS final FROM cart.carts WHERE customer_id = ANY($1::uuid[])`;
    await until('every cart to be final', async () => (await db.query(finalSql, [customers])).rows[0].final >= N, 120_000).catch(() => undefined);
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
    };
  } finally {
    await stopServices();
    await db.end();
    await database.drop();
  }
}

/** Raw PostgreSQL: one conditional UPDATE per transaction, N transactions, at the same concurrency. */
async function ceiling(): Promise<number> {
  const database = await benchDatabase('flash_ceiling');
  const clients = new pg.Pool({ connectionString: database.url, max: Math.min(CONCURRENCY, 100) });
  try {
    await clients.query('INSERT INTO inventory.stock (sku, available) VALUES ($1, $2)', [SKU, K]);
    const started = performance.now();
    let sold = 0;
    await pool(Array.from({ length: N }), CONCURRENCY, async () => {
      const c = await clients.connect();
      try {
        await c.query('BEGIN');
        const r = await c.query('UPDATE inventory.stock SET available = available - 1 WHERE sku = $1 AND available >= 1', [SKU]);
        sold += r.rowCount ?? 0;
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    });
    if (sold !== K) throw new Error(`ceiling sold ${sold}, expected ${K}`);
    return N / ((performance.now() - started) / 1000);
  } finally {
    await clients.end();
    await database.drop();
  }
}

print(
  `bench:flash-sale — ${N} customers race for ${K} units through the HTTP API (${CONCURRENCY} checkouts in flight), ` +
    (IN_PROCESS ? 'all services in this process' : 'each service its own process, as npm start runs them'),
);
const ceilingPerS = await ceiling();
print(`  ceiling: raw PostgreSQL, one conditional UPDATE per transaction      ${Math.round(ceilingPerS)} checkouts/s`);
const batched = await sale(undefined);
const report = (label: string, r: SaleResult) =>
  print(
    `  ${label}: confirmed ${r.confirmed}/${K}, oversold ${r.oversold}, unresolved ${r.unresolved}, available ${r.available}; ` +
      `all final ${round(r.secondsToFinal, 2)} s after the first checkout (${round(r.secondsAfterLastCheckout, 2)} s after the last); ` +
      `${Math.round(r.checkoutsPerS)} checkouts/s (${round((r.checkoutsPerS / ceilingPerS) * 100)}% of ceiling); checkout → final p50 ${Math.round(r.p50)} ms, p99 ${Math.round(r.p99)} ms`,
  );
report('batched (50)', batched);
const unbatched = await sale(1);
report('unbatched (1)', unbatched);
print(`  batching speed-up: ×${round(batched.checkoutsPerS / unbatched.checkoutsPerS, 2)}`);
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
    unbatched_checkouts_per_s: Math.round(unbatched.checkoutsPerS),
    batching_speedup: round(batched.checkoutsPerS / unbatched.checkoutsPerS, 2),
    unbatched_confirmed: unbatched.confirmed,
    unbatched_oversold: unbatched.oversold,
  }),
);
