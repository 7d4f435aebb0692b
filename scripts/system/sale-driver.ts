// A flash sale as real clients run it, against the services as processes: the fault tests and the chaos
// benchmark drive it (no test framework here). Clients that behave like real ones: a refused or failed request
// is sent again a moment later, with the same Idempotency-Key, and each polls until its checkout is final.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { LOCAL_ADMIN_TOKEN } from '@shop/config';
import type { ServiceName } from '@shop/contracts';
import type { Database } from '@shop/db';
import type { ServiceProcesses } from '../bench/service-processes';
import { mapLimited, range } from './concurrency';
import { untilQuiet } from './quiet';

const ADMIN = { Authorization: `Bearer ${LOCAL_ADMIN_TOKEN}` };

/** The services as processes, a pool for the checks, and requests to any of them. */
export interface ProcessStack {
  processes: ServiceProcesses;
  pool: pg.Pool;
  db: Database;
  request(service: ServiceName, path: string, init?: RequestInit): Promise<Response>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A request as a patient client sends it: refused connections, resets, timeouts, `5xx` and a `409` that asks
 * to retry (`Retry-After`, an Idempotency-Key still in flight) are sent again after the `Retry-After` the
 * answer gave (at most 5 s), or 200 ms, until `deadline`.
 */
export async function patiently(url: string, init: RequestInit, deadline: number): Promise<Response> {
  for (;;) {
    let last: string;
    let waitMs = 200;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
      if (res.status < 500 && !(res.status === 409 && res.headers.has('Retry-After'))) return res;
      last = `${res.status} ${await res.text()}`;
      const retryAfter = Number(res.headers.get('Retry-After'));
      if (retryAfter > 0) waitMs = Math.min(retryAfter, 5) * 1_000;
    } catch (err) {
      last = String((err as Error).cause ?? err);
    }
    if (Date.now() > deadline) throw new Error(`${init.method ?? 'GET'} ${url} kept failing: ${last}`);
    await sleep(waitMs);
  }
}

const json = (body: unknown, headers: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function expectStatus<T>(res: Response, status: number): Promise<T> {
  const body = await res.text();
  if (res.status !== status) throw new Error(`${res.url}: expected ${status}, got ${res.status}: ${body}`);
  return JSON.parse(body) as T;
}

export interface SaleOptions {
  sku: string;
  units: number;
  customers: number;
  /** Every n-th customer buys now (`POST /orders`); the others check out a cart. */
  buyNowEvery: number;
  /** The customers' checkouts start evenly over this long. */
  spreadMs: number;
  /** Every client has given up by then (a checkout that never ends fails the test instead of hanging it). */
  deadline: number;
  /** How often a client reads its checkout until it is final (default 250 ms). */
  pollMs?: number;
}

/** `pending`: the client gave up at the deadline (the test then fails with what the system still holds). */
export type Outcome = 'won' | 'lost' | 'pending';

/**
 * Stocks `sku` with `units`, creates the customers and fills their carts (all before any fault), then runs
 * the sale: each customer checks out (cart or buy now) and polls until the outcome is final, as a client
 * would, while `during` injects the fault. Returns each customer's outcome.
 */
export async function flashSale(stack: ProcessStack, options: SaleOptions, during: () => Promise<void>): Promise<Outcome[]> {
  const { urls } = stack.processes;
  await expectStatus(await fetch(`${urls.product}/products`, json({ sku: options.sku, name: 'Fault-sale sneaker', price_cents: 9_900 }, ADMIN)), 201);
  await expectStatus(await fetch(`${urls.inventory}/inventory`, json({ sku: options.sku, available: options.units }, ADMIN)), 201);
  const tag = randomUUID().slice(0, 8);
  const customers = await mapLimited(range(options.customers), 20, async (i) => {
    const res = await fetch(`${urls.customer}/customers`, json({ name: `Shopper ${i}`, email: `shopper-${tag}-${i}@example.com` }, ADMIN));
    return (await expectStatus<{ customer_id: string }>(res, 201)).customer_id;
  });
  await untilQuiet(stack.pool, { queues: true, timeoutMs: 60_000 });
  const buysNow = (i: number) => i % options.buyNowEvery === 0;
  await mapLimited(customers, 20, async (id, i) => {
    if (!buysNow(i)) await expectStatus(await fetch(`${urls.cart}/cart/items`, json({ product_sku: options.sku, quantity: 1 }, { 'X-Customer-Id': id })), 200);
  });

  const started = Date.now();
  const [outcomes] = await Promise.all([
    Promise.all(
      customers.map(async (id, i) => {
        await sleep(Math.max(0, (options.spreadMs * i) / options.customers - (Date.now() - started)));
        return buysNow(i) ? buyNow(urls, id, options) : checkOutCart(urls, id, options);
      }),
    ),
    during(),
  ]);
  return outcomes;
}

async function checkOutCart(urls: Record<ServiceName, string>, id: string, options: SaleOptions): Promise<Outcome> {
  const { deadline } = options;
  const who = { 'X-Customer-Id': id, 'Idempotency-Key': `checkout-${id}` };
  await expectStatus(await patiently(`${urls.cart}/cart/convert-to-order`, { method: 'POST', headers: who }, deadline), 202);
  for (;;) {
    const cart = await expectStatus<{ status: string }>(await patiently(`${urls.cart}/cart`, { headers: { 'X-Customer-Id': id } }, deadline), 200);
    if (cart.status === 'ordered') return 'won';
    if (cart.status === 'stock-unavailable') return 'lost';
    if (Date.now() > deadline) return 'pending';
    await sleep(options.pollMs ?? 250);
  }
}

async function buyNow(urls: Record<ServiceName, string>, id: string, options: SaleOptions): Promise<Outcome> {
  const who = { 'X-Customer-Id': id, 'Idempotency-Key': `buy-now-${id}` };
  const res = await patiently(`${urls.order}/orders`, json({ items: [{ product_sku: options.sku, quantity: 1 }] }, who), options.deadline);
  const { request_id } = await expectStatus<{ request_id: string }>(res, 202);
  for (;;) {
    const read = await patiently(`${urls.order}/orders/requests/${request_id}`, { headers: { 'X-Customer-Id': id } }, options.deadline);
    const request = await expectStatus<{ status: string }>(read, 200);
    if (request.status === 'confirmed') return 'won';
    if (request.status === 'rejected') return 'lost';
    if (Date.now() > options.deadline) return 'pending';
    await sleep(options.pollMs ?? 250);
  }
}

/**
 * Quiet after a fault: no cart or buy-now request pending, no reservation still open (one waiting for an
 * order.created that was lost is followed up by inventory), no outbox row unrelayed, no message queued or
 * running (a message a killed process had taken runs again once pg-boss sees its heartbeat stop, up to 15 s
 * after the kill), no e-mail waiting.
 */
export async function untilQuietAfterFault(stack: ProcessStack, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const unsettled = async () =>
    (
      await stack.pool.query<{ n: number }>(
        `SELECT ((SELECT count(*) FROM cart.carts WHERE status = 'pending') + (SELECT count(*) FROM "order".buy_now_requests WHERE status = 'pending')
               + (SELECT count(*) FROM email.messages WHERE status = 'pending') + (SELECT count(*) FROM notification.notifications WHERE channel = 'email' AND status = 'pending')
               + (SELECT count(*) FROM inventory.reservations WHERE status = 'reserved'))::int AS n`,
      )
    ).rows[0]!.n;
  while ((await unsettled()) > 0) {
    if (Date.now() > deadline) throw new Error(`still pending after ${timeoutMs} ms: ${JSON.stringify(await stillPending(stack))}`);
    await sleep(200);
  }
  await untilQuiet(stack.pool, { queues: true, timeoutMs: Math.max(deadline - Date.now(), 1_000) });
}

/** What a checkout that never ended went through: its row, its reservation, the messages about it. */
async function stillPending(stack: ProcessStack): Promise<unknown> {
  const { rows } = await stack.pool.query(
    `WITH p AS (SELECT request_id, status, reask_count, asked_at FROM cart.carts WHERE status = 'pending'
                UNION ALL SELECT request_id, status, reask_count, asked_at FROM "order".buy_now_requests WHERE status = 'pending')
     SELECT p.*, r.status AS reservation, r.expires_at, o.order_id,
            (SELECT json_agg(json_build_object('queue', j.name, 'state', j.state, 'retries', j.retry_count, 'created', j.created_on) ORDER BY j.created_on)
             FROM pgboss.job j WHERE j.data::text LIKE '%' || p.request_id || '%') AS jobs
     FROM p LEFT JOIN inventory.reservations r USING (request_id) LEFT JOIN "order".orders o USING (request_id) LIMIT 5`,
  );
  const { rows: mail } = await stack.pool.query(`SELECT status, attempts, last_error FROM email.messages WHERE status = 'pending' LIMIT 5`);
  return { checkouts: rows, mail };
}
