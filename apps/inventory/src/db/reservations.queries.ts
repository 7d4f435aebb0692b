import type { Tx } from '@shop/db';

/** reserved → committed | released; `rejected` records a request that reserved nothing. */
export type ReservationStatus = 'reserved' | 'committed' | 'released' | 'rejected';

export interface NewReservation {
  reservationId: string;
  requestId: string;
  source: string;
  cartId: string | null;
  customerId: string;
  status: 'reserved' | 'rejected';
}

export interface ReservationLineRow {
  reservationId: string;
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

/** The request ids among `requestIds` that already have a reservation (reserved, rejected, or later). */
export async function findHandledRequests(tx: Tx, requestIds: readonly string[]): Promise<Set<string>> {
  if (requestIds.length === 0) return new Set();
  const rows = await tx.$queryRawUnsafe<{ request_id: string }[]>(
    'SELECT request_id::text FROM inventory.reservations WHERE request_id = ANY($1::uuid[])',
    [...requestIds],
  );
  return new Set(rows.map((r) => r.request_id));
}

/** Inserts reservations in one statement; a request id that already has one is a unique violation. */
export async function insertReservations(tx: Tx, rows: readonly NewReservation[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO inventory.reservations (reservation_id, request_id, source, cart_id, customer_id, status)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[])`,
    rows.map((r) => r.reservationId),
    rows.map((r) => r.requestId),
    rows.map((r) => r.source),
    rows.map((r) => r.cartId),
    rows.map((r) => r.customerId),
    rows.map((r) => r.status),
  );
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
export async function lockReservation(
  tx: Tx,
  reservationId: string,
): Promise<{ status: ReservationStatus; lines: { sku: string; quantity: number }[] } | null> {
  const rows = await tx.$queryRawUnsafe<{ status: ReservationStatus }[]>(
    'SELECT status FROM inventory.reservations WHERE reservation_id = $1::uuid FOR UPDATE',
    reservationId,
  );
  if (!rows[0]) return null;
  const lines = await tx.$queryRawUnsafe<{ sku: string; quantity: number }[]>(
    'SELECT sku, quantity FROM inventory.reservation_lines WHERE reservation_id = $1::uuid',
    reservationId,
  );
  return { status: rows[0].status, lines };
}

export async function setReservationStatus(tx: Tx, reservationId: string, status: ReservationStatus, orderId: string): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE inventory.reservations SET status = $2, order_id = COALESCE(order_id, $3::uuid), updated_at = now()
     WHERE reservation_id = $1::uuid`,
    reservationId,
    status,
    orderId,
  );
}

/** True while a reservation that is not yet committed or released holds units of `sku`. */
export async function hasOpenReservations(tx: Tx, sku: string): Promise<boolean> {
  const rows = await tx.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM inventory.reservation_lines l JOIN inventory.reservations r USING (reservation_id)
     WHERE l.sku = $1 AND r.status = 'reserved' LIMIT 1`,
    sku,
  );
  return rows.length > 0;
}
