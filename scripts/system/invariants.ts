// DESIGN.md's invariants 1, 5, 8 and 9 and the choreography's end state over a quiet system, read from the
// services' own tables (read only) through a plain pool: the one checker that tests running the services in
// one process, tests running them as separate processes, and the chaos benchmark share. It allows what the
// recovery rules produce (expired reservations, orders cancelled or requests rejected because their
// reservation expired). No test framework at load time: the benchmark counts the same violations.
import type pg from 'pg';
import { messagesInFlight } from './quiet';

export interface InvariantOptions {
  /** Units each SKU was stocked with (initial level plus restocks), to check the ledger against. */
  stocked: ReadonlyMap<string, number>;
  /** Whether every confirmed order must have exactly one confirmation e-mail (false where its delivery may be lost on purpose). */
  emails?: boolean;
}

async function rows<T extends Record<string, unknown>>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await pool.query<T>(sql, params)).rows;
}

/**
 * Per SKU: `available >= 0` and stocked == available + units in live reservations + units in confirmed orders
 * (invariants 1 and 9); inventory's `reserved` column is exactly the live reservations' units.
 */
export async function stockViolations(pool: pg.Pool, stocked: ReadonlyMap<string, number>): Promise<Record<string, unknown>[]> {
  const ledger = await rows<{ sku: string; available: number; reserved: number; live: number; sold: number }>(
    pool,
    `SELECT s.sku, s.available, s.reserved,
            (SELECT COALESCE(sum(l.quantity), 0)::int FROM inventory.reservation_lines l JOIN inventory.reservations r USING (reservation_id)
             WHERE l.sku = s.sku AND r.status = 'reserved') AS live,
            (SELECT COALESCE(sum(ol.quantity), 0)::int FROM "order".order_lines ol JOIN "order".orders o USING (order_id)
             WHERE ol.product_sku = s.sku AND o.status = 'confirmed') AS sold
     FROM inventory.stock s WHERE s.sku = ANY($1::text[])`,
    [[...stocked.keys()]],
  );
  const violations: Record<string, unknown>[] = [];
  for (const [sku, units] of stocked) {
    const row = ledger.find((r) => r.sku === sku);
    if (!row) violations.push({ sku, missing: true });
    else if (row.available < 0 || row.reserved !== row.live || row.available + row.live + row.sold !== units) violations.push({ ...row, stocked: units });
  }
  return violations;
}

/**
 * The reservation behind a final rejection: refused outright, or expired before its order came, when the
 * requester asked again and was told `reservation_expired`.
 */
const rejectedReservation = (rejection: string) => `(CASE WHEN ${rejection}->>'reason' = 'reservation_expired' THEN 'expired' ELSE 'rejected' END)`;

/** An order whose reservation expired before inventory committed it, cancelled for that (DESIGN.md, "Recovery"). */
const cancelledAsExpired = (order: string, reservation: string) =>
  `(${order}.status = 'cancelled' AND ${reservation}.status = 'expired' AND ${order}.cancel_reason = 'reservation_expired')`;

/**
 * The end state of the choreography once quiet and settled, across every service's tables, as lists of the
 * rows that break each rule (empty when it holds), so a failure names them:
 * - no cart and no buy-now request `pending` (invariant 8), no reservation still `reserved`;
 * - an order is exactly its reservation (same request, same lines: all or nothing), committed while confirmed,
 *   released once cancelled, or expired when it was cancelled for that (invariant 9);
 * - a rejected request holds no stock and has no order; one order per request and per cart (invariant 5), one
 *   reservation per request;
 * - a cart is `ordered` (and locked) with its one order and exactly its lines, or rejected, or reopened after a
 *   rejection; buy-now requests are settled alike, with their own lines;
 * - inventory's `reserved` is the live reservations' units; the catalog shows every SKU's last level.
 */
export async function settledViolations(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  return {
    reservationsStillReserved: await rows(pool, `SELECT reservation_id FROM inventory.reservations WHERE status = 'reserved'`),
    cartsPending: await rows(pool, `SELECT cart_id FROM cart.carts WHERE status = 'pending'`),
    buyNowPending: await rows(pool, `SELECT request_id FROM "order".buy_now_requests WHERE status = 'pending'`),
    negativeStock: await rows(pool, 'SELECT sku, available, reserved FROM inventory.stock WHERE available < 0 OR reserved < 0'),
    ordersNotMatchingTheirReservation: await rows(
      pool,
      `SELECT o.order_id, o.status, r.status AS reservation_status
       FROM "order".orders o LEFT JOIN inventory.reservations r ON r.reservation_id = o.reservation_id
       WHERE r.reservation_id IS NULL OR r.request_id <> o.request_id OR r.order_id IS DISTINCT FROM o.order_id
          OR NOT ((o.status = 'confirmed' AND r.status = 'committed') OR (o.status = 'cancelled' AND r.status = 'released') OR ${cancelledAsExpired('o', 'r')})`,
    ),
    orderLinesNotReservationLines: await rows(
      pool,
      `WITH ol AS (SELECT o.order_id, l.product_sku AS sku, l.quantity FROM "order".orders o JOIN "order".order_lines l USING (order_id)),
            rl AS (SELECT o.order_id, l.sku, l.quantity FROM "order".orders o JOIN inventory.reservation_lines l ON l.reservation_id = o.reservation_id)
       SELECT order_id, sku, ol.quantity AS ordered, rl.quantity AS reserved FROM ol FULL JOIN rl USING (order_id, sku)
       WHERE ol.quantity IS DISTINCT FROM rl.quantity`,
    ),
    reservationsTakenWithoutOrder: await rows(
      pool,
      `SELECT reservation_id, status FROM inventory.reservations r
       WHERE status IN ('committed', 'released') AND NOT EXISTS (SELECT 1 FROM "order".orders o WHERE o.reservation_id = r.reservation_id)`,
    ),
    rejectedRequestsHoldingStockOrOrder: await rows(
      pool,
      `SELECT reservation_id FROM inventory.reservations r WHERE status = 'rejected'
       AND (EXISTS (SELECT 1 FROM inventory.reservation_lines l WHERE l.reservation_id = r.reservation_id)
            OR EXISTS (SELECT 1 FROM "order".orders o WHERE o.request_id = r.request_id))`,
    ),
    orderedCartsWithoutTheirOrder: await rows(
      pool,
      `SELECT c.cart_id FROM cart.carts c LEFT JOIN "order".orders o ON o.order_id = c.order_id
       WHERE c.status = 'ordered' AND (o.order_id IS NULL OR o.cart_id <> c.cart_id OR o.request_id <> c.request_id OR NOT c.cart_locked)`,
    ),
    cartOrdersWhoseCartIsNotOrdered: await rows(
      pool,
      `SELECT o.order_id, c.status AS cart_status FROM "order".orders o LEFT JOIN cart.carts c ON c.cart_id = o.cart_id
       WHERE o.source = 'cart' AND (c.cart_id IS NULL OR c.status <> 'ordered' OR c.order_id IS DISTINCT FROM o.order_id)`,
    ),
    cartOrdersNotTheirCart: await rows(
      pool,
      `WITH ol AS (SELECT o.order_id, l.product_sku AS sku, l.quantity FROM "order".orders o JOIN "order".order_lines l USING (order_id) WHERE o.source = 'cart'),
            cl AS (SELECT o.order_id, i.product_sku AS sku, i.quantity FROM "order".orders o JOIN cart.cart_items i ON i.cart_id = o.cart_id WHERE o.source = 'cart')
       SELECT order_id, sku, ol.quantity AS ordered, cl.quantity AS in_cart FROM ol FULL JOIN cl USING (order_id, sku)
       WHERE ol.quantity IS DISTINCT FROM cl.quantity`,
    ),
    rejectedCartsNotRejected: await rows(
      pool,
      `SELECT c.cart_id, r.status AS reservation_status FROM cart.carts c LEFT JOIN inventory.reservations r ON r.request_id = c.request_id
       WHERE (c.status = 'stock-unavailable' AND (r.status IS DISTINCT FROM ${rejectedReservation('c.rejection')} OR c.rejection IS NULL OR c.cart_locked))
          OR (c.status = 'open' AND c.request_id IS NOT NULL AND (r.status IS NULL OR r.status NOT IN ('rejected', 'expired')))`,
    ),
    buyNowNotMatchingOutcome: await rows(
      pool,
      `SELECT b.request_id, b.status, r.status AS reservation_status FROM "order".buy_now_requests b
       LEFT JOIN "order".orders o ON o.request_id = b.request_id LEFT JOIN inventory.reservations r ON r.request_id = b.request_id
       WHERE NOT ((b.status = 'confirmed' AND o.order_id = b.order_id AND (r.status IN ('committed', 'released') OR ${cancelledAsExpired('o', 'r')}))
               OR (b.status = 'rejected' AND o.order_id IS NULL AND r.status = ${rejectedReservation('b.rejection')} AND b.rejection IS NOT NULL))`,
    ),
    buyNowOrdersNotTheirRequest: await rows(
      pool,
      `SELECT o.order_id FROM "order".orders o JOIN "order".buy_now_requests b USING (request_id)
       WHERE o.source = 'buy-now' AND (SELECT jsonb_agg(jsonb_build_object('sku', l.product_sku, 'q', l.quantity) ORDER BY l.product_sku) FROM "order".order_lines l WHERE l.order_id = o.order_id)
          <> (SELECT jsonb_agg(jsonb_build_object('sku', i->>'product_sku', 'q', (i->>'quantity')::int) ORDER BY i->>'product_sku') FROM jsonb_array_elements(b.items) i)`,
    ),
    requestsWithSeveralOrders: await rows(
      pool,
      `SELECT request_id, count(*)::int AS orders FROM "order".orders GROUP BY request_id HAVING count(*) > 1
       UNION ALL SELECT cart_id, count(*)::int FROM "order".orders WHERE cart_id IS NOT NULL GROUP BY cart_id HAVING count(*) > 1`,
    ),
    requestsWithSeveralReservations: await rows(
      pool,
      `SELECT request_id, count(*)::int AS reservations FROM inventory.reservations GROUP BY request_id HAVING count(*) > 1`,
    ),
    stockNotMatchingLiveReservations: await rows(
      pool,
      `SELECT s.sku, s.reserved, coalesce(sum(l.quantity) FILTER (WHERE r.status = 'reserved'), 0)::int AS in_live_reservations
       FROM inventory.stock s LEFT JOIN inventory.reservation_lines l USING (sku) LEFT JOIN inventory.reservations r USING (reservation_id)
       GROUP BY s.sku, s.reserved HAVING s.reserved <> coalesce(sum(l.quantity) FILTER (WHERE r.status = 'reserved'), 0)`,
    ),
    catalogNotShowingStock: await rows(
      pool,
      `SELECT s.sku, s.available, a.available AS shown FROM inventory.stock s LEFT JOIN product.availability a USING (sku)
       WHERE a.available IS DISTINCT FROM s.available`,
    ),
  };
}

/**
 * One confirmation per order: exactly one `order_confirmed` e-mail notification and one message in the email
 * service's log, sent. `confirmed`: for every confirmed order (a confirmation may rightly be missing for an
 * order cancelled before its order.created reached notification); `every-order`: for cancelled ones too (where
 * nothing is lost on purpose). Lists the orders that break it.
 */
export async function emailViolations(pool: pg.Pool, orders: 'confirmed' | 'every-order'): Promise<unknown[]> {
  return rows(
    pool,
    `SELECT o.order_id, count(n.notification_id)::int AS notifications, count(m.notification_id)::int AS messages,
            count(m.notification_id) FILTER (WHERE m.status = 'sent')::int AS sent
     FROM "order".orders o
     LEFT JOIN notification.notifications n ON n.order_id = o.order_id AND n.type = 'order_confirmed' AND n.channel = 'email'
     LEFT JOIN email.messages m ON m.notification_id = n.notification_id
     WHERE $1 OR o.status = 'confirmed'
     GROUP BY o.order_id
     HAVING count(n.notification_id) <> 1 OR count(m.notification_id) <> 1 OR count(m.notification_id) FILTER (WHERE m.status = 'sent') <> 1`,
    [orders === 'every-order'],
  );
}

/**
 * Every rule a quiet, settled system keeps (DESIGN.md's invariants 1, 5, 8 and 9 and the choreography's end
 * state): the stock ledger of the stocked SKUs (`stockViolations`), the settled state (`settledViolations`),
 * and with `emails` one confirmation e-mail per confirmed order. The one checker of these rules: the system
 * tests expect every list empty, and the chaos benchmark counts what they hold.
 */
export async function invariantViolations(pool: pg.Pool, options: InvariantOptions): Promise<Record<string, unknown[]>> {
  return {
    stock: await stockViolations(pool, options.stocked),
    ...(await settledViolations(pool)),
    ...((options.emails ?? true) ? { confirmationEmailsNotOne: await emailViolations(pool, 'confirmed') } : {}),
  };
}

/** The same keys, every list empty: what `toEqual` compares violations with. */
export function noViolations(violations: Record<string, unknown[]>): Record<string, unknown[]> {
  return Object.fromEntries(Object.keys(violations).map((k) => [k, []]));
}

/** Fails, naming the offending rows, unless every invariant holds (see `invariantViolations`). */
export async function expectInvariants(pool: pg.Pool, options: InvariantOptions): Promise<void> {
  const { expect } = await import('vitest');
  const violations = await invariantViolations(pool, options);
  expect(violations).toEqual(noViolations(violations));
}

/** Checkouts not yet final and reservations still holding units: what a healing system still has to settle. */
export async function unsettled(pool: pg.Pool): Promise<{ carts: number; buyNow: number; reserved: number }> {
  const { rows: [counts] } = await pool.query<{ carts: number; buyNow: number; reserved: number }>(
    `SELECT (SELECT count(*)::int FROM cart.carts WHERE status = 'pending') AS carts,
            (SELECT count(*)::int FROM "order".buy_now_requests WHERE status = 'pending') AS "buyNow",
            (SELECT count(*)::int FROM inventory.reservations WHERE status = 'reserved') AS reserved`,
  );
  return counts!;
}

/**
 * Waits until the system is quiet and settled: no message in flight, no checkout pending and no reservation
 * still `reserved` (the re-asking and the sweeper have done their work), twice in a row. Returns what was
 * still unsettled when `timeoutMs` ran out instead of throwing, so the invariant check that follows names it.
 */
export async function untilSettled(pool: pg.Pool, options: { queues: boolean; timeoutMs: number }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let settledChecks = 0;
  while (settledChecks < 2) {
    if (Date.now() > deadline) return false;
    const left = await unsettled(pool);
    const settled = left.carts + left.buyNow + left.reserved === 0 && (await messagesInFlight(pool, options)) === 0;
    settledChecks = settled ? settledChecks + 1 : 0;
    await new Promise((r) => setTimeout(r, settled ? 200 : 250));
  }
  return true;
}
