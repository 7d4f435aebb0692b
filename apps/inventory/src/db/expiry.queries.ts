import type { PrismaClient, Tx } from '@shop/db';

/** What one sweep took: how many reservations it expired, and their units per SKU. */
export interface ExpiredBatch {
  expired: number;
  units: { sku: string; quantity: number }[];
}

/**
 * Marks up to `limit` open reservations whose `expires_at` lies more than `graceSeconds` in the past as
 * `expired`, oldest first, in one statement, and sums their units per SKU. The rows are claimed with
 * `FOR UPDATE SKIP LOCKED`: two sweepers take disjoint batches, and a reservation an order event holds
 * locked (being committed or released right now) is left for that event. The partial index on open
 * reservations by `expires_at` makes this one index range scan, however many closed reservations there are.
 */
export async function expireDue(tx: Tx, graceSeconds: number, limit: number): Promise<ExpiredBatch> {
  const rows = await tx.$queryRawUnsafe<ExpiredBatch[]>(
    `WITH due AS (
       SELECT reservation_id FROM inventory.reservations
       WHERE status = 'reserved' AND expires_at <= now() - make_interval(secs => $1)
       ORDER BY expires_at LIMIT $2
       FOR UPDATE SKIP LOCKED
     ), expired AS (
       UPDATE inventory.reservations r SET status = 'expired', updated_at = now(), asked_at = NULL
       FROM due WHERE r.reservation_id = due.reservation_id AND r.status = 'reserved'
       RETURNING r.reservation_id
     ), units AS (
       SELECT l.sku, sum(l.quantity)::int AS quantity FROM inventory.reservation_lines l JOIN expired USING (reservation_id) GROUP BY l.sku
     )
     SELECT (SELECT count(*) FROM expired)::int AS expired,
            COALESCE((SELECT json_agg(json_build_object('sku', sku, 'quantity', quantity)) FROM units), '[]') AS units`,
    graceSeconds,
    limit,
  );
  return rows[0]!;
}

/** Milliseconds until the next open reservation falls due for expiry (by the database's clock), or null when none is open. */
export async function nextExpiryInMs(db: PrismaClient | Tx, graceSeconds: number): Promise<number | null> {
  const rows = await db.$queryRawUnsafe<{ ms: number | null }[]>(
    `SELECT (EXTRACT(EPOCH FROM min(expires_at) + make_interval(secs => $1) - clock_timestamp()) * 1000)::float8 AS ms
     FROM inventory.reservations WHERE status = 'reserved'`,
    graceSeconds,
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? null : Math.max(0, ms);
}
