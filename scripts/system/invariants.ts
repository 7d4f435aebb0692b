// DESIGN.md's invariants 1, 5, 8 and 9 over a quiet system, read from the services' own tables (read only)
// through a plain pool, so tests that run the services in one process and tests that run them as separate
// processes share one checker. Unlike race-kit's `expectSettled`, it allows what the recovery rules produce:
// expired reservations, orders cancelled or requests rejected because their reservation expired. No test
// framework at load time: the chaos benchmark counts the same violations.
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
 * Every rule a quiet system keeps, as lists of the rows that break it (empty when it holds), so a failure
 * names them:
 * - nothing oversold, units accounted for (`stockViolations`);
 * - no cart and no buy-now request `pending` (invariant 8);
 * - no reservation still `reserved` whose checkout ended (rejected or cancelled; an expired one is `expired`);
 * - every confirmed order's reservation `committed`, every committed reservation's order confirmed;
 * - one order per cart checkout and per buy-now request (invariant 5), one reservation per request;
 * - an ordered cart has its order, a rejected cart or request has none;
 * - with `emails`, exactly one confirmation notification and one e-mail (`email.messages` row) per confirmed order.
 */
export async function invariantViolations(pool: pg.Pool, options: InvariantOptions): Promise<Record<string, unknown[]>> {
  const violations: Record<string, unknown[]> = {
    stock: await stockViolations(pool, options.stocked),
    negativeStock: await rows(pool, 'SELECT sku, available, reserved FROM inventory.stock WHERE available < 0 OR reserved < 0'),
    cartsPending: await rows(pool, `SELECT cart_id FROM cart.carts WHERE status = 'pending'`),
    buyNowPending: await rows(pool, `SELECT request_id FROM "order".buy_now_requests WHERE status = 'pending'`),
    reservedForEndedCheckouts: await rows(
      pool,
      `SELECT r.reservation_id, o.status AS order_status, c.status AS cart_status, b.status AS request_status FROM inventory.reservations r
       LEFT JOIN "order".orders o ON o.request_id = r.request_id
       LEFT JOIN cart.carts c ON c.request_id = r.request_id
       LEFT JOIN "order".buy_now_requests b ON b.request_id = r.request_id
       WHERE r.status = 'reserved' AND (o.status = 'cancelled' OR c.status = 'stock-unavailable' OR b.status = 'rejected')`,
    ),
    confirmedOrdersNotCommitted: await rows(
      pool,
      `SELECT o.order_id, r.status AS reservation_status FROM "order".orders o LEFT JOIN inventory.reservations r ON r.reservation_id = o.reservation_id
       WHERE o.status = 'confirmed' AND r.status IS DISTINCT FROM 'committed'`,
    ),
    committedWithoutConfirmedOrder: await rows(
      pool,
      `SELECT r.reservation_id, o.status AS order_status FROM inventory.reservations r LEFT JOIN "order".orders o ON o.reservation_id = r.reservation_id
       WHERE r.status = 'committed' AND o.status IS DISTINCT FROM 'confirmed'`,
    ),
    cancelledOrdersHoldingStock: await rows(
      pool,
      `SELECT o.order_id, r.status AS reservation_status FROM "order".orders o JOIN inventory.reservations r ON r.reservation_id = o.reservation_id
       WHERE o.status = 'cancelled' AND r.status NOT IN ('released', 'expired')`,
    ),
    requestsWithSeveralOrders: await rows(pool, `SELECT request_id, count(*)::int AS orders FROM "order".orders GROUP BY request_id HAVING count(*) > 1`),
    cartsWithSeveralOrders: await rows(pool, `SELECT cart_id, count(*)::int AS orders FROM "order".orders WHERE cart_id IS NOT NULL GROUP BY cart_id HAVING count(*) > 1`),
    requestsWithSeveralReservations: await rows(
      pool,
      `SELECT request_id, count(*)::int AS reservations FROM inventory.reservations GROUP BY request_id HAVING count(*) > 1`,
    ),
    orderedCartsWithoutTheirOrder: await rows(
      pool,
      `SELECT c.cart_id FROM cart.carts c LEFT JOIN "order".orders o ON o.order_id = c.order_id
       WHERE c.status = 'ordered' AND (o.order_id IS NULL OR o.cart_id <> c.cart_id OR o.request_id <> c.request_id)`,
    ),
    rejectedCheckoutsWithOrder: await rows(
      pool,
      `SELECT c.cart_id AS id, o.order_id FROM cart.carts c JOIN "order".orders o ON o.request_id = c.request_id WHERE c.status = 'stock-unavailable'
       UNION ALL
       SELECT b.request_id, o.order_id FROM "order".buy_now_requests b JOIN "order".orders o ON o.request_id = b.request_id WHERE b.status = 'rejected'`,
    ),
  };
  if (options.emails ?? true) {
    violations['confirmationEmailsNotOne'] = await rows(
      pool,
      `SELECT o.order_id, count(DISTINCT n.notification_id)::int AS notifications, count(DISTINCT m.notification_id)::int AS emails
       FROM "order".orders o
       LEFT JOIN notification.notifications n ON n.order_id = o.order_id AND n.type = 'order_confirmed' AND n.channel = 'email'
       LEFT JOIN email.messages m ON m.notification_id = n.notification_id
       WHERE o.status = 'confirmed' GROUP BY o.order_id
       HAVING count(DISTINCT n.notification_id) <> 1 OR count(DISTINCT m.notification_id) <> 1`,
    );
  }
  return violations;
}

/** Fails, naming the offending rows, unless every invariant holds (see `invariantViolations`). */
export async function expectInvariants(pool: pg.Pool, options: InvariantOptions): Promise<void> {
  const { expect } = await import('vitest');
  const violations = await invariantViolations(pool, options);
  expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
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
