import { randomUUID } from 'node:crypto';
import type { PayloadOf, StockRejectionReason, StockShortfallV1 } from '@shop/contracts';
import type { Tx } from '@shop/db';
import { findCatalogEntries, type CatalogEntry } from '../db/catalog.queries';
import { publishAll, type PendingEvent } from '../db/outbox.queries';
import { findHandledRequests, insertReservationLines, insertReservations, type NewReservation, type ReservationLineRow } from '../db/reservations.queries';
import { applyStockDeltas, lockStock, type StockChange } from '../db/stock.queries';

export type OrderRequest = PayloadOf<'order-requested'>;

/** One checkout attempt to reserve, and the correlation id its outcome events carry on. */
export interface StockRequest {
  request: OrderRequest;
  correlationId: string;
}

/** What became of one request. `duplicate`: its request_id was already handled; nothing was done again. */
export type ReservationOutcome =
  | { requestId: string; status: 'reserved'; reservationId: string }
  | { requestId: string; status: 'rejected'; reason: StockRejectionReason; details: StockShortfallV1[] }
  | { requestId: string; status: 'duplicate' };

/** A decision on one request, made in memory against the levels the batch has left. */
export type Allocation =
  | { status: 'reserved' }
  | { status: 'rejected'; reason: StockRejectionReason; details: StockShortfallV1[] };

/**
 * Decides one request against the current levels (`available` of each SKU that has a stock record) and the
 * catalog: all lines or none. A line is an unknown product when its SKU has no stock record, or the catalog
 * deleted or deactivated it (a SKU the catalog never mentioned is sellable). `details` lists every line that
 * cannot be served, unknown ones with `available: 0`; the reason is `unknown_product` when any line is
 * unknown, else `insufficient_stock`. Pure: the caller applies a `reserved` decision to its levels.
 */
export function allocate(request: Pick<OrderRequest, 'items'>, available: ReadonlyMap<string, number>, catalog: ReadonlyMap<string, CatalogEntry>): Allocation {
  const details: StockShortfallV1[] = [];
  let anyUnknown = false;
  for (const line of request.items) {
    const entry = catalog.get(line.product_sku);
    const level = available.get(line.product_sku);
    if (level === undefined || entry?.deleted === true || entry?.active === false) {
      anyUnknown = true;
      details.push({ product_sku: line.product_sku, requested: line.quantity, available: 0 });
    } else if (line.quantity > level) {
      details.push({ product_sku: line.product_sku, requested: line.quantity, available: level });
    }
  }
  if (details.length === 0) return { status: 'reserved' };
  return { status: 'rejected', reason: anyUnknown ? 'unknown_product' : 'insufficient_stock', details };
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reserves stock for checkout requests, each all or nothing, in arrival order, inside the caller's
 * transaction (the consumer's, which also records the messages as processed). THE hot path: a whole batch
 * costs a fixed number of statements whatever its size.
 *
 * 1. Lock every SKU the batch touches, once, in one fixed order (`lockStock`): concurrent batches and
 *    single requests over overlapping SKUs queue behind each other instead of deadlocking.
 * 2. Read the catalog, and which request ids were already handled. This runs after the locks on purpose: a
 *    duplicate request racing us for the same SKUs waited on our locks and now sees our reservation.
 * 3. Allocate request by request in memory; a repeated request_id (here or before) is a duplicate.
 * 4. Write: one UPDATE for all SKUs (the CHECK constraints refuse any negative level), the reservations and
 *    their lines in bulk, then, in one more statement, `stock-available` or `stock.rejected` per request and
 *    `stock.changed` per SKU whose availability moved, into the outbox of this same transaction.
 *
 * Rejected requests are recorded too (status `rejected`, no lines), so a repeat of one is not reserved after
 * all. A repeat with other SKUs racing the first is a unique violation on `request_id`: the transaction
 * fails and the consumer's retry then finds it handled.
 */
export async function reserveStock(tx: Tx, requests: readonly StockRequest[]): Promise<ReservationOutcome[]> {
  const skus = [...new Set(requests.flatMap(({ request }) => request.items.map((line) => line.product_sku)))].sort(byteOrder);
  const locked = await lockStock(tx, skus);
  const catalog = await findCatalogEntries(tx, skus);
  const handled = await findHandledRequests(tx, requests.map(({ request }) => request.request_id));

  const available = new Map(locked.map((row) => [row.sku, row.available]));
  const reservedUnits = new Map<string, number>();
  const reservations: NewReservation[] = [];
  const lines: ReservationLineRow[] = [];
  const outcomes: ReservationOutcome[] = [];
  for (const { request } of requests) {
    if (handled.has(request.request_id)) {
      outcomes.push({ requestId: request.request_id, status: 'duplicate' });
      continue;
    }
    handled.add(request.request_id);
    const reservationId = randomUUID();
    const decision = allocate(request, available, catalog);
    reservations.push({
      reservationId,
      requestId: request.request_id,
      source: request.source,
      cartId: request.cart_id,
      customerId: request.customer_id,
      status: decision.status,
    });
    if (decision.status === 'rejected') {
      outcomes.push({ requestId: request.request_id, ...decision });
      continue;
    }
    for (const line of request.items) {
      available.set(line.product_sku, available.get(line.product_sku)! - line.quantity);
      reservedUnits.set(line.product_sku, (reservedUnits.get(line.product_sku) ?? 0) + line.quantity);
      lines.push({ reservationId, sku: line.product_sku, quantity: line.quantity, unitPriceCents: line.unit_price_cents });
    }
    outcomes.push({ requestId: request.request_id, status: 'reserved', reservationId });
  }

  const changes = await applyStockDeltas(
    tx,
    [...reservedUnits].map(([sku, units]) => ({ sku, available: -units, reserved: units })),
  );
  await insertReservations(tx, reservations);
  await insertReservationLines(tx, lines);
  await publishAll(tx, [...requests.flatMap(({ request, correlationId }, i) => outcomeEvents(request, outcomes[i]!, correlationId)), ...changeEvents(changes)]);
  return outcomes;
}

function outcomeEvents(request: OrderRequest, outcome: ReservationOutcome, correlationId: string): PendingEvent[] {
  const { request_id, source, cart_id, customer_id } = request;
  if (outcome.status === 'reserved') {
    const payload = { request_id, source, cart_id, customer_id, reservation_id: outcome.reservationId, items: request.items, currency: request.currency };
    return [{ topic: 'stock-available', payload, correlationId }];
  }
  if (outcome.status === 'rejected') {
    return [{ topic: 'stock.rejected', payload: { request_id, source, cart_id, customer_id, reason: outcome.reason, details: outcome.details }, correlationId }];
  }
  return [];
}

/** `stock.changed` per SKU whose availability moved; the SKU is its ordering key and its correlation id. */
function changeEvents(changes: readonly StockChange[]): PendingEvent[] {
  return changes.map(({ sku, available, version }) => ({ topic: 'stock.changed', payload: { sku, available, version }, correlationId: sku }));
}
