// Helpers for the concurrency and property system tests: crowds of customers, requests all in flight at once,
// and DESIGN.md's invariants checked over the quiet system — through the API where it shows the state, through
// the services' own tables (read only) where it does not.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { SERVICE_NAMES, SUBSCRIPTIONS, TOPICS, type TopicName } from '@shop/contracts';
import { inTransaction } from '@shop/db';
import { mapLimited, range } from './concurrency';
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
 * The reservation behind a final rejection: refused outright, or expired before its order came, when the
 * requester asked again and was told `reservation_expired`.
 */
const rejectedReservation = (rejection: string) => `(CASE WHEN ${rejection}->>'reason' = 'reservation_expired' THEN 'expired' ELSE 'rejected' END)`;

/**
 * The end state of the choreography once quiet, across every service's tables: each request has exactly one
 * outcome; an order is exactly its reservation (same request, same lines: all or nothing), committed while
 * confirmed and released once cancelled; a rejected request holds no stock and has no order; a cart is
 * `ordered` with its one order, or rejected, or reopened after a rejection; buy-now requests are settled alike;
 * the catalog shows every SKU's last level (stale `stock.changed` dropped).
 * Each query lists the rows that break a rule, so a failure names them.
 */
export async function expectSettled(system: SystemView): Promise<void> {
  const violations = {
    reservationsStillReserved: await rows(system, `SELECT reservation_id FROM inventory.reservations WHERE status = 'reserved'`),
    cartsStillPending: await rows(system, `SELECT cart_id FROM cart.carts WHERE status = 'pending'`),
    buyNowStillPending: await rows(system, `SELECT request_id FROM "order".buy_now_requests WHERE status = 'pending'`),
    ordersNotMatchingTheirReservation: await rows(
      system,
      `SELECT o.order_id, o.status, r.status AS reservation_status
       FROM "order".orders o LEFT JOIN inventory.reservations r ON r.reservation_id = o.reservation_id
       WHERE r.reservation_id IS NULL OR r.request_id <> o.request_id OR r.order_id IS DISTINCT FROM o.order_id
          OR NOT ((o.status = 'confirmed' AND r.status = 'committed') OR (o.status = 'cancelled' AND r.status = 'released')
                  OR (o.status = 'cancelled' AND r.status = 'expired' AND o.cancel_reason = 'reservation_expired'))`,
    ),
    orderLinesNotReservationLines: await rows(
      system,
      `WITH ol AS (SELECT o.order_id, l.product_sku AS sku, l.quantity FROM "order".orders o JOIN "order".order_lines l USING (order_id)),
            rl AS (SELECT o.order_id, l.sku, l.quantity FROM "order".orders o JOIN inventory.reservation_lines l ON l.reservation_id = o.reservation_id)
       SELECT order_id, sku, ol.quantity AS ordered, rl.quantity AS reserved FROM ol FULL JOIN rl USING (order_id, sku)
       WHERE ol.quantity IS DISTINCT FROM rl.quantity`,
    ),
    reservationsTakenWithoutOrder: await rows(
      system,
      `SELECT reservation_id, status FROM inventory.reservations r
       WHERE status IN ('committed', 'released') AND NOT EXISTS (SELECT 1 FROM "order".orders o WHERE o.reservation_id = r.reservation_id)`,
    ),
    rejectedRequestsHoldingStockOrOrder: await rows(
      system,
      `SELECT reservation_id FROM inventory.reservations r WHERE status = 'rejected'
       AND (EXISTS (SELECT 1 FROM inventory.reservation_lines l WHERE l.reservation_id = r.reservation_id)
            OR EXISTS (SELECT 1 FROM "order".orders o WHERE o.request_id = r.request_id))`,
    ),
    orderedCartsWithoutTheirOrder: await rows(
      system,
      `SELECT c.cart_id FROM cart.carts c LEFT JOIN "order".orders o ON o.order_id = c.order_id
       WHERE c.status = 'ordered' AND (o.order_id IS NULL OR o.cart_id <> c.cart_id OR o.request_id <> c.request_id OR NOT c.cart_locked)`,
    ),
    cartOrdersWhoseCartIsNotOrdered: await rows(
      system,
      `SELECT o.order_id, c.status AS cart_status FROM "order".orders o LEFT JOIN cart.carts c ON c.cart_id = o.cart_id
       WHERE o.source = 'cart' AND (c.cart_id IS NULL OR c.status <> 'ordered' OR c.order_id IS DISTINCT FROM o.order_id)`,
    ),
    cartOrdersNotTheirCart: await rows(
      system,
      `WITH ol AS (SELECT o.order_id, l.product_sku AS sku, l.quantity FROM "order".orders o JOIN "order".order_lines l USING (order_id) WHERE o.source = 'cart'),
            cl AS (SELECT o.order_id, i.product_sku AS sku, i.quantity FROM "order".orders o JOIN cart.cart_items i ON i.cart_id = o.cart_id WHERE o.source = 'cart')
       SELECT order_id, sku, ol.quantity AS ordered, cl.quantity AS in_cart FROM ol FULL JOIN cl USING (order_id, sku)
       WHERE ol.quantity IS DISTINCT FROM cl.quantity`,
    ),
    rejectedCartsNotRejected: await rows(
      system,
      `SELECT c.cart_id, r.status AS reservation_status FROM cart.carts c LEFT JOIN inventory.reservations r ON r.request_id = c.request_id
       WHERE (c.status = 'stock-unavailable' AND (r.status IS DISTINCT FROM ${rejectedReservation('c.rejection')} OR c.rejection IS NULL OR c.cart_locked))
          OR (c.status = 'open' AND c.request_id IS NOT NULL AND (r.status IS NULL OR r.status NOT IN ('rejected', 'expired')))`,
    ),
    buyNowNotMatchingOutcome: await rows(
      system,
      `SELECT b.request_id, b.status, r.status AS reservation_status FROM "order".buy_now_requests b
       LEFT JOIN "order".orders o ON o.request_id = b.request_id LEFT JOIN inventory.reservations r ON r.request_id = b.request_id
       WHERE NOT ((b.status = 'confirmed' AND o.order_id = b.order_id AND r.status IN ('committed', 'released'))
               OR (b.status = 'rejected' AND o.order_id IS NULL AND r.status = ${rejectedReservation('b.rejection')} AND b.rejection IS NOT NULL))`,
    ),
    requestsWithSeveralOrders: await rows(
      system,
      `SELECT request_id, count(*)::int AS orders FROM "order".orders GROUP BY request_id HAVING count(*) > 1
       UNION ALL SELECT cart_id, count(*)::int FROM "order".orders WHERE cart_id IS NOT NULL GROUP BY cart_id HAVING count(*) > 1`,
    ),
    stockNotMatchingLiveReservations: await rows(
      system,
      `SELECT s.sku, s.reserved, coalesce(sum(l.quantity) FILTER (WHERE r.status = 'reserved'), 0)::int AS in_live_reservations
       FROM inventory.stock s LEFT JOIN inventory.reservation_lines l USING (sku) LEFT JOIN inventory.reservations r USING (reservation_id)
       GROUP BY s.sku, s.reserved HAVING s.reserved <> coalesce(sum(l.quantity) FILTER (WHERE r.status = 'reserved'), 0)`,
    ),
    catalogNotShowingStock: await rows(
      system,
      `SELECT s.sku, s.available, a.available AS shown FROM inventory.stock s LEFT JOIN product.availability a USING (sku)
       WHERE a.available IS DISTINCT FROM s.available`,
    ),
    buyNowOrdersNotTheirRequest: await rows(
      system,
      `SELECT o.order_id FROM "order".orders o JOIN "order".buy_now_requests b USING (request_id)
       WHERE o.source = 'buy-now' AND (SELECT jsonb_agg(jsonb_build_object('sku', l.product_sku, 'q', l.quantity) ORDER BY l.product_sku) FROM "order".order_lines l WHERE l.order_id = o.order_id)
          <> (SELECT jsonb_agg(jsonb_build_object('sku', i->>'product_sku', 'q', (i->>'quantity')::int) ORDER BY i->>'product_sku') FROM jsonb_array_elements(b.items) i)`,
    ),
  };
  expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
}

/**
 * Once quiet, every order (confirmed, or cancelled since) was confirmed to its customer by exactly one e-mail:
 * one `order_confirmed` e-mail notification, one message in the email service's log, sent. Lists the orders
 * that break it.
 */
export async function expectOneConfirmationPerOrder(system: SystemView): Promise<void> {
  const wrong = await rows(
    system,
    `SELECT o.order_id, count(n.notification_id)::int AS notifications, count(m.notification_id)::int AS messages,
            count(m.notification_id) FILTER (WHERE m.status = 'sent')::int AS sent
     FROM "order".orders o
     LEFT JOIN notification.notifications n ON n.order_id = o.order_id AND n.type = 'order_confirmed' AND n.channel = 'email'
     LEFT JOIN email.messages m ON m.notification_id = n.notification_id
     GROUP BY o.order_id
     HAVING count(n.notification_id) <> 1 OR count(m.notification_id) <> 1 OR count(m.notification_id) FILTER (WHERE m.status = 'sent') <> 1`,
  );
  expect(wrong).toEqual([]);
}

/**
 * No message of the commerce choreography needed a second delivery (a deadlock or a failing handler would have
 * been retried), nothing was dead-lettered anywhere, and PostgreSQL counted no deadlock in this database.
 */
export async function expectNoFailedDeliveries(system: SystemView): Promise<void> {
  const retried = await rows(
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
