import type { OrderSource, StockRejectionReason, StockShortfallV1 } from '@shop/contracts';
import type { Tx } from '@shop/db';

/**
 * reserved → committed | released | expired; expired → committed when a late order re-takes the units.
 * `rejected` records a request that reserved nothing.
 */
export type ReservationStatus = 'reserved' | 'committed' | 'released' | 'expired' | 'rejected';

export interface NewReservation {
  reservationId: string;
  requestId: string;
  source: OrderSource;
  cartId: string | null;
  customerId: string;
  currency: string;
  status: 'reserved' | 'rejected';
  /** A rejected request's answer, kept to give it again. */
  rejection: { reason: StockRejectionReason; details: StockShortfallV1[] } | null;
}

export interface ReservationLineRow {
  reservationId: string;
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

/** What inventory decided for a request, as recorded: enough to give the same answer again. */
export interface RecordedDecision {
  reservationId: string;
  requestId: string;
  status: ReservationStatus;
  source: OrderSource;
  cartId: string | null;
  customerId: string;
  /** Null only on rows from before it was kept. */
  currency: string | null;
  expiresAt: Date | null;
  rejection: { reason: StockRejectionReason; details: StockShortfallV1[] } | null;
  /** The order that committed, cancelled or was refused it, once known. */
  orderId: string | null;
  /** For an expired reservation: when it expired. */
  updatedAt: Date;
  /** In SKU order. */
  lines: { sku: string; quantity: number; unitPriceCents: number }[];
}

const DECISION_COLUMNS = `
  r.reservation_id::text AS "reservationId", r.request_id::text AS "requestId", r.status, r.source, r.cart_id::text AS "cartId",
  r.customer_id::text AS "customerId", r.currency, r.expires_at AS "expiresAt", r.rejection, r.order_id::text AS "orderId", r.updated_at AS "updatedAt",
  COALESCE((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity, 'unitPriceCents', l.unit_price_cents) ORDER BY l.sku COLLATE "C")
            FROM inventory.reservation_lines l WHERE l.reservation_id = r.reservation_id), '[]') AS lines`;

/** The recorded decisions for those of `requestIds` inventory has already decided (reserved, rejected, or later), in one statement. */
export async function findDecisions(tx: Tx, requestIds: readonly string[]): Promise<Map<string, RecordedDecision>> {
  if (requestIds.length === 0) return new Map();
  const rows = await tx.$queryRawUnsafe<RecordedDecision[]>(
    `SELECT ${DECISION_COLUMNS} FROM inventory.reservations r WHERE r.request_id = ANY($1::uuid[])`,
    [...requestIds],
  );
  return new Map(rows.map((row) => [row.requestId, row]));
}

/** The decisions recorded for the given reservations, in one statement (the follow-up loop's claimed rows). */
export async function findReservationDecisions(tx: Tx, reservationIds: readonly string[]): Promise<RecordedDecision[]> {
  if (reservationIds.length === 0) return [];
  return tx.$queryRawUnsafe<RecordedDecision[]>(`SELECT ${DECISION_COLUMNS} FROM inventory.reservations r WHERE r.reservation_id = ANY($1::uuid[])`, [
    ...reservationIds,
  ]);
}

/**
 * Inserts reservations in one statement; a request id that already has one is a unique violation. Each
 * reserved one expires `ttlSeconds` from now by the database's clock, the clock the sweeper reads; returns
 * those expiry times by reservation id, as stored (to the millisecond).
 */
export async function insertReservations(tx: Tx, rows: readonly NewReservation[], ttlSeconds: number): Promise<Map<string, Date>> {
  if (rows.length === 0) return new Map();
  const inserted = await tx.$queryRawUnsafe<{ reservation_id: string; expires_at: Date | null }[]>(
    `INSERT INTO inventory.reservations (reservation_id, request_id, source, cart_id, customer_id, currency, status, rejection, expires_at, asked_at)
     SELECT r.id, r.request_id, r.source, r.cart_id, r.customer_id, r.currency, r.status, r.rejection,
            CASE WHEN r.status = 'reserved' THEN statement_timestamp() + make_interval(secs => $9) END,
            CASE WHEN r.status = 'reserved' THEN statement_timestamp() END
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::jsonb[])
       AS r(id, request_id, source, cart_id, customer_id, currency, status, rejection)
     RETURNING reservation_id::text, expires_at`,
    rows.map((r) => r.reservationId),
    rows.map((r) => r.requestId),
    rows.map((r) => r.source),
    rows.map((r) => r.cartId),
    rows.map((r) => r.customerId),
    rows.map((r) => r.currency),
    rows.map((r) => r.status),
    rows.map((r) => (r.rejection ? JSON.stringify(r.rejection) : null)),
    ttlSeconds,
  );
  return new Map(inserted.flatMap((r) => (r.expires_at ? [[r.reservation_id, r.expires_at] as const] : [])));
}

export async function insertReservationLines(tx: Tx, rows: readonly ReservationLineRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO inventory.reservation_lines (reservation_id, sku, quantity, unit_price_cents)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[])`,
    rows.map((r) => r.reservationId),
    rows.map((r) => r.sku),
    rows.map((r) => r.quantity),
    rows.map((r) => r.unitPriceCents),
  );
}

/**
 * Locks a reservation's row, so two events moving it (order.created and order.cancelled, or two copies of
 * order.cancelled with different event ids) take turns and each sees the status the other left.
 */
export async function lockReservation(tx: Tx, reservationId: string): Promise<LockedReservation | null> {
  const rows = await tx.$queryRawUnsafe<Omit<LockedReservation, 'lines'>[]>(
    `SELECT status, request_id::text AS "requestId", customer_id::text AS "customerId", order_id::text AS "orderId", updated_at AS "updatedAt"
     FROM inventory.reservations WHERE reservation_id = $1::uuid FOR UPDATE`,
    reservationId,
  );
  if (!rows[0]) return null;
  const lines = await tx.$queryRawUnsafe<LockedReservation['lines']>(
    `SELECT sku, quantity, unit_price_cents AS "unitPriceCents" FROM inventory.reservation_lines WHERE reservation_id = $1::uuid ORDER BY sku COLLATE "C"`,
    reservationId,
  );
  return { ...rows[0], lines };
}

/** A reservation locked for a transition. */
export interface LockedReservation {
  status: ReservationStatus;
  requestId: string;
  customerId: string;
  orderId: string | null;
  /** For an expired reservation: when it expired (nothing touches it after that but a re-take). */
  updatedAt: Date;
  /** In SKU order. */
  lines: { sku: string; quantity: number; unitPriceCents: number }[];
}

/**
 * Records on an expired reservation the order that may no longer take its units: one refused with
 * `reservation.expired` (`awaitCancel`: inventory then waits for that order's `order.cancelled`, publishing
 * `reservation.expired` again until it comes), or one cancelled meanwhile (the wait ends). A later
 * `order.created` of it is then answered with `reservation.expired` instead of re-taking units. Only the first
 * order is kept; `updated_at` stays the moment the reservation expired.
 */
export async function recordRefusedOrder(tx: Tx, reservationId: string, orderId: string, awaitCancel: boolean): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE inventory.reservations SET order_id = COALESCE(order_id, $2::uuid),
            asked_at = CASE WHEN $3 THEN COALESCE(asked_at, now()) END, reask_count = CASE WHEN $3 THEN reask_count ELSE 0 END
     WHERE reservation_id = $1::uuid AND status = 'expired'`,
    reservationId,
    orderId,
    awaitCancel,
  );
}

export async function setReservationStatus(tx: Tx, reservationId: string, status: ReservationStatus, orderId: string): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE inventory.reservations SET status = $2, order_id = COALESCE(order_id, $3::uuid), updated_at = now(), asked_at = NULL
     WHERE reservation_id = $1::uuid`,
    reservationId,
    status,
    orderId,
  );
}

/** True while an open reservation (not yet committed, released or expired) holds units of `sku`. */
export async function hasOpenReservations(tx: Tx, sku: string): Promise<boolean> {
  const rows = await tx.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM inventory.reservation_lines l JOIN inventory.reservations r USING (reservation_id)
     WHERE l.sku = $1 AND r.status = 'reserved' LIMIT 1`,
    sku,
  );
  return rows.length > 0;
}
