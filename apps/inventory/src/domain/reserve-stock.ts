import { randomUUID } from 'node:crypto';
import type { PayloadOf, StockRejectionReason, StockShortfallV1 } from '@shop/contracts';
import type { Tx } from '@shop/db';
import { findCatalogEntries, type CatalogEntry } from '../db/catalog.queries';
import { publishAll, type PendingEvent } from '../db/outbox.queries';
import {
  findDecisions,
  insertReservationLines,
  insertReservations,
  type NewReservation,
  type RecordedDecision,
  type ReservationLineRow,
} from '../db/reservations.queries';
import { applyStockDeltas, lockStock, type StockChange } from '../db/stock.queries';

export type OrderRequest = PayloadOf<'order-requested'>;

/** One checkout attempt to reserve, and the correlation id its outcome events carry on. */
export interface StockRequest {
  request: OrderRequest;
  correlationId: string;
  /** The request's message trace: its answer continues it, even when answered in a batch with others. */
  traceparent?: string | undefined;
}

/**
 * What became of one request. `repeated`: its request_id was decided before (or earlier in the batch);
 * nothing was reserved again, and that decision was published again.
 */
export type ReservationOutcome =
  | { requestId: string; status: 'reserved'; reservationId: string }
  | { requestId: string; status: 'rejected'; reason: StockRejectionReason; details: StockShortfallV1[] }
  | { requestId: string; status: 'repeated' };

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
 * 1. Read the decisions already recorded for these request ids: a question asked before is answered from its
 *    record and needs no stock.
 * 2. Lock every SKU the new requests touch, once, in one fixed order (`lockStock`): concurrent batches and
 *    single requests over overlapping SKUs queue behind each other instead of deadlocking. Read the catalog.
 * 3. Allocate request by request in memory; a repeated request_id (here or before) is not allocated again.
 * 4. Write: one UPDATE for all SKUs (the CHECK constraints refuse any negative level), the reservations (each
 *    reserved one expiring `ttlSeconds` from now) and their lines in bulk, then, in one more statement,
 *    `stock-available` or `stock.rejected` per request and `stock.changed` per SKU whose availability moved,
 *    into the outbox of this same transaction.
 *
 * Ask again, get the same answer (DESIGN.md, "Recovery"): a requester that heard nothing asks again with the
 * same request_id, and a repeat is answered with the recorded decision, never a second reservation: the same
 * `stock-available` (reservation id, lines, `expires_at`), or the same `stock.rejected`, which is
 * why a rejection is recorded with its reason and details; once the reservation has expired, `stock.rejected`
 * with reason `reservation_expired`. Copies of one request are never handled at the same moment by the
 * transports (the request's ordering key); if they were, the second to commit would hit the unique
 * `request_id`: its transaction fails, and the consumer's retry then finds the decision.
 */
export async function reserveStock(tx: Tx, requests: readonly StockRequest[], ttlSeconds: number): Promise<ReservationOutcome[]> {
  const decided = await findDecisions(tx, requests.map(({ request }) => request.request_id));
  // Questions decided before need no stock: only the SKUs of new ones are locked, and a batch of repeats (a
  // backlog of re-asks) touches no stock row at all, so it never queues behind the hot SKU's lock.
  const fresh = requests.filter(({ request }) => !decided.has(request.request_id));
  const skus = [...new Set(fresh.flatMap(({ request }) => request.items.map((line) => line.product_sku)))].sort(byteOrder);
  const locked = await lockStock(tx, skus);
  const catalog = await findCatalogEntries(tx, skus);
  const decidedNow = new Set<string>();

  const available = new Map(locked.map((row) => [row.sku, row.available]));
  const reservedUnits = new Map<string, number>();
  const reservations: NewReservation[] = [];
  const lines: ReservationLineRow[] = [];
  const outcomes: ReservationOutcome[] = [];
  for (const { request } of requests) {
    if (decided.has(request.request_id) || decidedNow.has(request.request_id)) {
      outcomes.push({ requestId: request.request_id, status: 'repeated' });
      continue;
    }
    decidedNow.add(request.request_id);
    const reservationId = randomUUID();
    const decision = allocate(request, available, catalog);
    reservations.push({
      reservationId,
      requestId: request.request_id,
      source: request.source,
      cartId: request.cart_id,
      customerId: request.customer_id,
      currency: request.currency,
      status: decision.status,
      rejection: decision.status === 'rejected' ? { reason: decision.reason, details: decision.details } : null,
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
  const expiries = await insertReservations(tx, reservations, ttlSeconds);
  await insertReservationLines(tx, lines);
  const firstAnswers = new Map<string, (correlationId: string) => PendingEvent>();
  const answers: PendingEvent[] = [];
  requests.forEach(({ request, correlationId, traceparent }, i) => {
    const outcome = outcomes[i]!;
    const prior = decided.get(request.request_id);
    const answered = (event: PendingEvent): PendingEvent => ({ ...event, traceparent });
    if (prior) {
      const answer = recordedAnswer(prior, request.currency, correlationId);
      if (answer) answers.push(answered(answer));
    } else if (outcome.status === 'repeated') {
      answers.push(answered(firstAnswers.get(request.request_id)!(correlationId)));
    } else {
      const answer = (id: string) => outcomeEvent(request, outcome, expiries, id);
      firstAnswers.set(request.request_id, answer);
      answers.push(answered(answer(correlationId)));
    }
  });
  await publishAll(tx, [...answers, ...changeEvents(changes)]);
  return outcomes;
}

function outcomeEvent(request: OrderRequest, outcome: Exclude<ReservationOutcome, { status: 'repeated' }>, expiries: ReadonlyMap<string, Date>, correlationId: string): PendingEvent {
  const { request_id, source, cart_id, customer_id } = request;
  if (outcome.status === 'reserved') {
    const expires_at = expiries.get(outcome.reservationId)!.toISOString();
    // In SKU order, as a repeat reads the lines back: the answer to a repeat is this payload, field for field.
    const items = [...request.items].sort((a, b) => byteOrder(a.product_sku, b.product_sku));
    const payload = { request_id, source, cart_id, customer_id, reservation_id: outcome.reservationId, items, currency: request.currency, expires_at };
    return { topic: 'stock-available', payload, correlationId };
  }
  return { topic: 'stock.rejected', payload: { request_id, source, cart_id, customer_id, reason: outcome.reason, details: outcome.details }, correlationId };
}

/**
 * The answer to a request decided before: the recorded decision, published again. A rejection recorded
 * before rejections were kept has nothing to repeat (null). A row kept without its currency (from before it
 * was) answers in `fallbackCurrency`, the repeat's: a request_id is one checkout, in one currency (without
 * one, such a row has no answer to give).
 */
export function recordedAnswer(prior: RecordedDecision, fallbackCurrency: string | null, correlationId: string): PendingEvent | null {
  const { requestId: request_id, source, cartId: cart_id, customerId: customer_id } = prior;
  if (prior.status === 'rejected') {
    if (!prior.rejection) return null;
    return { topic: 'stock.rejected', payload: { request_id, source, cart_id, customer_id, ...prior.rejection }, correlationId };
  }
  if (prior.status === 'expired') {
    return { topic: 'stock.rejected', payload: { request_id, source, cart_id, customer_id, reason: 'reservation_expired', details: [] }, correlationId };
  }
  const currency = prior.currency ?? fallbackCurrency;
  if (!currency) return null;
  const payload = {
    request_id,
    source,
    cart_id,
    customer_id,
    reservation_id: prior.reservationId,
    items: prior.lines.map((l) => ({ product_sku: l.sku, quantity: l.quantity, unit_price_cents: l.unitPriceCents })),
    currency,
    ...(prior.expiresAt ? { expires_at: new Date(prior.expiresAt).toISOString() } : {}),
  };
  return { topic: 'stock-available', payload, correlationId };
}

/** `stock.changed` per SKU whose availability moved; the SKU is its ordering key and its correlation id. */
function changeEvents(changes: readonly StockChange[]): PendingEvent[] {
  return changes.map(({ sku, available, version }) => ({ topic: 'stock.changed', payload: { sku, available, version }, correlationId: sku }));
}
