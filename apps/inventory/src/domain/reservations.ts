import type { PayloadOf } from '@shop/contracts';
import type { Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { lockReservation, recordRefusedOrder, setReservationStatus, type LockedReservation } from '../db/reservations.queries';
import { applyStockDeltas, lockStock } from '../db/stock.queries';
import { publishStockChanges } from './stock-changes';

/**
 * What an order event did to a reservation. `unchanged`: the reservation was not in a state the event moves
 * (a repeat, a reordering, or a rejected request); `unknown`: no such reservation. `retaken`: it had
 * expired, and its units were taken again for the order; `refused`: it had expired and its units were gone,
 * so `reservation.expired` was published for the order.
 */
export type ReservationTransition = 'committed' | 'retaken' | 'refused' | 'released' | 'unchanged' | 'unknown';

function sortedSkus(lines: readonly { sku: string }[]): string[] {
  return lines.map((l) => l.sku).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * `order.created`: the reservation's units are sold. From `reserved` (STYLE.md: guard transitions in the
 * domain): `available` does not move, so nothing is published. A reservation already released, because
 * `order.cancelled` overtook this event, stays released, and its stock is not taken again.
 *
 * From `expired` (the order came too late, DESIGN.md "Recovery"): the units went back to `available`, so they
 * are taken again if every line still has them (the reservation becomes `committed`, `stock.changed`);
 * otherwise `reservation.expired` tells the order service to cancel the order. The order is recorded on the
 * reservation either way, so a repeat of this `order.created` gets the same answer.
 */
export async function commitReservation(
  tx: Tx,
  publish: PublishFn,
  input: { reservationId: string; orderId: string; correlationId: string },
): Promise<ReservationTransition> {
  const reservation = await lockReservation(tx, input.reservationId);
  if (!reservation) return 'unknown';
  if (reservation.status === 'expired') return commitExpired(tx, publish, reservation, input);
  if (reservation.status !== 'reserved') return 'unchanged';
  await lockStock(tx, sortedSkus(reservation.lines));
  await applyStockDeltas(
    tx,
    reservation.lines.map((l) => ({ sku: l.sku, available: 0, reserved: -l.quantity })),
  );
  await setReservationStatus(tx, input.reservationId, 'committed', input.orderId);
  return 'committed';
}

async function commitExpired(
  tx: Tx,
  publish: PublishFn,
  reservation: LockedReservation,
  input: { reservationId: string; orderId: string; correlationId: string },
): Promise<ReservationTransition> {
  if (reservation.orderId === null) {
    const locked = new Map((await lockStock(tx, sortedSkus(reservation.lines))).map((row) => [row.sku, row.available]));
    if (reservation.lines.every((l) => (locked.get(l.sku) ?? -1) >= l.quantity)) {
      const changes = await applyStockDeltas(
        tx,
        reservation.lines.map((l) => ({ sku: l.sku, available: -l.quantity, reserved: 0 })),
      );
      await setReservationStatus(tx, input.reservationId, 'committed', input.orderId);
      await publishStockChanges(tx, publish, changes);
      return 'retaken';
    }
    await recordRefusedOrder(tx, input.reservationId, input.orderId, true);
  }
  await publish(tx, 'reservation.expired', reservationExpiredPayload(input.reservationId, { ...reservation, orderId: input.orderId }), {
    correlationId: input.correlationId,
  });
  return 'refused';
}

/** `reservation.expired` for an expired reservation refused to its order (the same payload however often it is sent). */
export function reservationExpiredPayload(
  reservationId: string,
  reservation: Pick<LockedReservation, 'requestId' | 'customerId' | 'lines' | 'updatedAt'> & { orderId: string },
): PayloadOf<'reservation.expired'> {
  return {
    reservation_id: reservationId,
    request_id: reservation.requestId,
    order_id: reservation.orderId,
    customer_id: reservation.customerId,
    items: reservation.lines.map((l) => ({ product_sku: l.sku, quantity: l.quantity, unit_price_cents: l.unitPriceCents })),
    expired_at: new Date(reservation.updatedAt).toISOString(),
  };
}

/**
 * `order.cancelled`: returns the reservation's units to stock EXACTLY ONCE (invariant 6). The reservation
 * row lock serialises every event about it, and only `reserved` or `committed` move to `released`; a
 * released reservation stays released, whatever event id the next copy carries. It works whether or not
 * `order.created` came first: a still-reserved reservation gives back its `reserved` units as well. An
 * expired reservation gives back nothing: its units went back when it expired.
 * A SKU whose stock record was deleted meanwhile gets nothing back: there is no record to return it to.
 */
export async function releaseReservation(tx: Tx, publish: PublishFn, input: { reservationId: string; orderId: string }): Promise<ReservationTransition> {
  const reservation = await lockReservation(tx, input.reservationId);
  if (!reservation) return 'unknown';
  // Its units went back when it expired; a cancelled order must not take them again if its order.created
  // arrives after this.
  if (reservation.status === 'expired') await recordRefusedOrder(tx, input.reservationId, input.orderId, false);
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
