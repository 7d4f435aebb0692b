// Helpers for the concurrency and property system tests: crowds of customers, requests all in flight at once,
// and DESIGN.md's invariants checked over the quiet system — through the API where it shows the state, through
// the services' own tables (read only) where it does not.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { SERVICE_NAMES, SUBSCRIPTIONS, TOPICS, type TopicName } from '@shop/contracts';
import { inTransaction } from '@shop/db';
import { mapLimited, range } from './concurrency';
import { emailViolations, noViolations, settledViolations } from './invariants';
import { ADMIN, SUPPORT, type System } from './system';
import { expectJson, post } from './system-kit';

export { mapLimited, range };

export interface OrderLineView {
  product_sku: string;
  quantity: number;
}

export interface OrderView {
  order_id: string;
  request_id: string;
  customer_id: string;
  cart_id: string | null;
  status: 'confirmed' | 'cancelled';
  items: OrderLineView[];
}

/**
 * What the invariant checks read: a pool over every service's schema and HTTP to each service. The in-process
 * `System` is one; services running as processes over the same database are another (fault-kit.ts).
 */
export type SystemView = Pick<System, 'db' | 'request'>;

export interface StockView {
  sku: string;
  available: number;
  reserved: number;
}

/** Creates `count` customers through the admin API and waits until every service has learned them. */
export async function createCustomers(system: System, count: number, label = 'Racer'): Promise<string[]> {
  const tag = randomUUID().slice(0, 8);
  const ids = await mapLimited(range(count), 25, async (i) => {
    const body = { name: `${label} ${i}`, email: `${label.toLowerCase()}-${tag}-${i}@example.com` };
    return (await expectJson<{ customer_id: string }>(system.request('customer', '/customers', post(body, ADMIN)), 201)).customer_id;
  });
  await system.quiesce();
  return ids;
}

/** `GET /inventory/:sku`, as support. */
export function stockOf(system: SystemView, sku: string): Promise<StockView> {
  return expectJson<StockView>(system.request('inventory', `/inventory/${encodeURIComponent(sku)}`, { headers: SUPPORT }), 200);
}

/** Every order, as support reads them, following the cursor to the end. */
export async function allOrders(system: SystemView): Promise<OrderView[]> {
  const orders: OrderView[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: { items: OrderView[]; next_cursor: string | null } = await expectJson(system.request('order', `/orders?limit=200${query}`, { headers: SUPPORT }), 200);
    orders.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return orders;
}

/** Units of each SKU in confirmed (not cancelled) orders: the units sold. */
export function unitsSold(orders: readonly OrderView[]): Map<string, number> {
  const sold = new Map<string, number>();
  for (const order of orders.filter((o) => o.status === 'confirmed')) {
    for (const line of order.items) sold.set(line.product_sku, (sold.get(line.product_sku) ?? 0) + line.quantity);
  }
  return sold;
}

/**
 * A SKU's `available` after each of its `stock.changed` versions, as inventory's outbox recorded them (a copy
 * published again under a new event id, as `redeliver` does, is the same version and level, counted once).
 */
export async function stockHistory(system: SystemView, sku: string): Promise<{ version: number; available: number }[]> {
  const { rows } = await system.db.pool.query<{ version: number; available: number }>(
    `SELECT DISTINCT (payload->>'version')::int AS version, (payload->>'available')::int AS available
     FROM inventory.outbox WHERE topic = 'stock.changed' AND payload->>'sku' = $1 ORDER BY 1, 2`,
    [sku],
  );
  return rows;
}

/**
 * What a `PUT /inventory/:sku` added to the units stocked. PUT SETS `available`, so its delta is the level it
 * set minus the level just before it, whatever reservations and releases ran around it: read from the SKU's
 * `stock.changed` history, where the PUT's own event carries the request's trace (`traceparent` of the answer)
 * and every change of `available` has the next version.
 */
export async function restockDelta(system: System, sku: string, traceparent: string): Promise<number> {
  const { rows: own } = await system.db.pool.query<{ version: number; available: number }>(
    `SELECT (payload->>'version')::int AS version, (payload->>'available')::int AS available
     FROM inventory.outbox WHERE topic = 'stock.changed' AND payload->>'sku' = $1 AND attributes->>'traceparent' = $2`,
    [sku, traceparent],
  );
  if (own.length !== 1) throw new Error(`${own.length} stock.changed of ${sku} carry the PUT's trace ${traceparent}, not 1`);
  const before = (await stockHistory(system, sku)).filter((h) => h.version === own[0]!.version - 1);
  if (before.length !== 1) throw new Error(`stock.changed of ${sku} has ${before.length} levels for version ${own[0]!.version - 1}, before the PUT's`);
  return own[0]!.available - before[0]!.available;
}

async function rows<T extends Record<string, unknown>>(system: SystemView, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await system.db.pool.query<T>(sql, params)).rows;
}

/**
 * Invariant 1 per SKU once quiet, against the units stocked (initial + restock deltas): what is left
 * (`available + reserved`) plus what confirmed orders hold is what was stocked; nothing stays reserved; no
 * level, now or at any version of its history, is negative; the history's versions run 1, 2, … without a gap
 * and with one level each; and the catalog, which follows `stock.changed` and drops older versions, shows the
 * last level.
 */
export async function expectStockLedger(system: SystemView, stocked: ReadonlyMap<string, number>): Promise<void> {
  const sold = unitsSold(await allOrders(system));
  const actual: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const [sku, units] of stocked) {
    const stock = await stockOf(system, sku);
    const history = await stockHistory(system, sku);
    const product = await expectJson<{ available: number | null }>(system.request('product', `/products/${encodeURIComponent(sku)}`), 200);
    const skuSold = sold.get(sku) ?? 0;
    actual[sku] = {
      available: stock.available,
      reserved: stock.reserved,
      sold: skuSold,
      negativeVersions: history.filter((h) => h.available < 0).map((h) => h.version),
      versionsInOrder: history.every((h, i) => h.version === i + 1),
      catalogShows: product.available,
    };
    expected[sku] = { available: units - skuSold, reserved: 0, sold: skuSold, negativeVersions: [], versionsInOrder: true, catalogShows: stock.available };
    expect(stock.available, `${sku}: available`).toBeGreaterThanOrEqual(0);
  }
  expect(actual).toEqual(expected);
  expect(await rows(system, 'SELECT sku, available, reserved FROM inventory.stock WHERE available < 0 OR reserved < 0')).toEqual([]);
}

/**
 * The end state of the choreography once quiet, across every service's tables (see `settledViolations` in
 * invariants.ts, the one checker of these rules): fails naming the rows that break a rule.
 */
export async function expectSettled(system: SystemView): Promise<void> {
  const violations = await settledViolations(system.db.pool);
  expect(violations).toEqual(noViolations(violations));
}

/**
 * Once quiet, every order (confirmed, or cancelled since) was confirmed to its customer by exactly one e-mail,
 * sent (`invariants.ts`, `emailViolations`, every order).
 */
export async function expectOneConfirmationPerOrder(system: SystemView): Promise<void> {
  expect(await emailViolations(system.db.pool, 'every-order')).toEqual([]);
}

/**
 * No message of the commerce choreography needed a second delivery (a deadlock or a failing handler would have
 * been retried), nothing was dead-lettered anywhere, and PostgreSQL counted no deadlock in this database.
 */
export async function expectNoFailedDeliveries(system: SystemView): Promise<void> {
  // pg-boss keeps each job's retries; the outbox log keeps only what waits parked now, so with it this checks
  // that nothing of the choreography is parked (a retry that already succeeded leaves no trace there).
  const retried =
    process.env['EVENT_EMBEDDED_ENGINE'] === 'outbox-log'
      ? await rows(
          system,
          ['inventory', 'order', 'cart'].map((s) => `SELECT subscription AS name, count(*)::int AS jobs FROM "${s}".log_retries GROUP BY 1`).join(' UNION ALL '),
        )
      : await rows(
          system,
          `SELECT name, count(*)::int AS jobs FROM pgboss.job
           WHERE (retry_count > 0 OR state = 'failed') AND split_part(name, '.', 1) IN ('inventory', 'order', 'cart') GROUP BY name`,
        );
  const deadLetters = await rows(
    system,
    SERVICE_NAMES.map((s) => `SELECT '${s}' AS service, subscription, reason FROM "${s}".dead_letters`).join(' UNION ALL '),
  );
  const deadlocks = await rows<{ deadlocks: string }>(system, 'SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()');
  expect({ retried, deadLetters, deadlocks: Number(deadlocks[0]?.deadlocks ?? 0) }).toEqual({ retried: [], deadLetters: [], deadlocks: 0 });
}

/**
 * Delivers one event already published again, as at-least-once delivery may: the `pick`-th (modulo) event of
 * `topic` in its producers' outboxes. `sameEventId`: the very message again, to every subscriber, twice at the
 * same moment (the consumers' `processed_messages` must absorb it); otherwise a copy under a new event id,
 * published through the producer's outbox (the handlers' own guards must absorb it). Returns whether there was
 * an event to deliver.
 */
export async function redeliver(system: System, topic: TopicName, pick: number, sameEventId: boolean): Promise<boolean> {
  const producers = TOPICS[topic].producers;
  const { rows: events } = await system.db.pool.query<{ producer: (typeof producers)[number]; attributes: Record<string, string>; payload: unknown }>(
    producers.map((p) => `SELECT '${p}' AS producer, id, attributes, payload FROM "${p}".outbox WHERE topic = $1`).join(' UNION ALL ') + ' ORDER BY producer, id',
    [topic],
  );
  const event = events[pick % Math.max(events.length, 1)];
  if (!event) return false;
  if (sameEventId) {
    const message = { attributes: event.attributes, data: JSON.stringify(event.payload), deliveryAttempt: 2 };
    const outcomes = await Promise.all(
      SUBSCRIPTIONS.filter((s) => s.topic === topic).flatMap((s) => {
        const consumer = system.services[s.service].events.consumer;
        return [consumer.deliver(s.name, [message]), consumer.deliver(s.name, [message])];
      }),
    );
    expect(outcomes.flat().filter((o) => o.status !== 'ack')).toEqual([]);
  } else {
    const producer = system.services[event.producer];
    await inTransaction(producer.db.prisma, (tx) =>
      producer.events.publish(tx, topic, event.payload as never, { correlationId: event.attributes['correlation_id'] }),
    );
  }
  return true;
}
