import type { Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { lockReservation, setReservationStatus } from '../db/reservations.queries';
import { applyStockDeltas, lockStock } from '../db/stock.queries';
import { publishStockChanges } from './stock-changes';

/**
 * What an order event did to a reservation. `unchanged`: the reservation was not in a state the event moves
 * (a repeat, a reordering, or a rejected request); `unknown`: no such reservation.
 */
export type ReservationTransition = 'committed' | 'released' | 'unchanged' | 'unknown';

function sortedSkus(lines: readonly { sku: string }[]): string[] {
  return lines.map((l) => l.sku).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * `order.created`: the reservation's units are sold. Only from `reserved` (STYLE.md: guard transitions in
 * the domain): a reservation already released, because `order.cancelled` overtook this event, stays
 * released, and its stock is not taken again. `available` does not move, so nothing is published.
 */
export async function commitReservation(tx: Tx, input: { reservationId: string; orderId: string }): Promise<ReservationTransition> {
  const reservation = await lockReservation(tx, input.reservationId);
  if (!reservation) return 'unknown';
  if (reservation.status !== 'reserved') return 'unchanged';
  await lockStock(tx, sortedSkus(reservation.lines));
  await applyStockDeltas(
    tx,
    reservation.lines.map((l) => ({ sku: l.sku, available: 0, reserved: -l.quantity })),
  );
  await setReservationStatus(tx, input.reservationId, 'committed', input.orderId);
  return 'committed';
}

/**
 * `order.cancelled`: returns the reservation's units to stock EXACTLY ONCE (invariant 6). The reservation
 * row lock serialises every event about it, and only `reserved` or `committed` move to `released`; a
 * released reservation stays released, whatever event id the next copy carries. It works whether or not
 * `order.created` came first: a still-reserved reservation gives back its `reserved` units as well.
 * A SKU whose stock record was deleted meanwhile gets nothing back: there is no record to return it to.
 */
export async function releaseReservation(tx: Tx, publish: PublishFn, input: { reservationId: string; orderId: string }): Promise<ReservationTransition> {
  const reservation = await lockReservation(tx, input.reservationId);
  if (!reservation) return 'unknown';
  if (reservation.status !== 'reserved' && reservation.status !== 'committed') return 'unchanged';
  const wasReserved = reservation.status === 'reserved';
  await lockStock(tx, sortedSkus(reservation.lines));
  const changes = await applyStockDeltas(
    tx,
    reservation.lines.map((l) => ({ sku: l.sku, available: l.quantity, reserved: wasReserved ? -l.quantity : 0 })),
  );
  await setReservationStatus(tx, input.reservationId, 'released', input.orderId);
  await publishStockChanges(tx, publish, changes);
  return 'released';
}
