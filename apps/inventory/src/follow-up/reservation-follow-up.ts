import type { Tx } from '@shop/db';
import { defineReasker, type PendingCheckoutTable, type StoredRequest } from '@shop/service';
import { findReservationDecisions } from '../db/reservations.queries';
import { reservationExpiredPayload } from '../domain/reservations';
import { recordedAnswer } from '../domain/reserve-stock';

/**
 * Reservations inventory waits on (`asked_at` set): an open one for its order's `order.created`, an expired one
 * refused to an order for that order's `order.cancelled`.
 */
export const AWAITED_RESERVATIONS: PendingCheckoutTable = { schema: 'inventory', table: 'reservations', key: 'reservation_id', pending: 'asked_at IS NOT NULL' };

/** Nothing notifies this channel: a new reservation falls due a whole retry period later, and the loop looks at least that often. */
const FOLLOW_UP_CHANNEL = 'inventory_reservation_follow_up';

/**
 * What inventory publishes again for each claimed reservation. Open: its `stock-available`, as first answered;
 * order creates the order if it is still in time, or answers with that order's `order.created` again, which
 * commits the reservation (the order.created inventory never heard). Expired and refused: `reservation.expired`
 * again, which order answers by cancelling the order, or, already cancelled, with its `order.cancelled` again.
 */
async function answersToRepeat(tx: Tx, reservationIds: string[]): Promise<StoredRequest[]> {
  return (await findReservationDecisions(tx, reservationIds)).flatMap((decision): StoredRequest[] => {
    const key = decision.reservationId;
    const correlationId = decision.cartId ?? decision.requestId;
    if (decision.status === 'reserved') {
      const answer = recordedAnswer(decision, null, correlationId);
      return answer ? [{ key, topic: answer.topic, payload: answer.payload, correlationId }] : [];
    }
    if (decision.status === 'expired' && decision.orderId) {
      return [{ key, topic: 'reservation.expired', payload: reservationExpiredPayload(key, { ...decision, orderId: decision.orderId }), correlationId }];
    }
    return [];
  });
}

const followUp = defineReasker({
  name: 'reservation-follow-up',
  table: AWAITED_RESERVATIONS,
  requestsOf: answersToRepeat,
  channel: FOLLOW_UP_CHANNEL,
  // Nothing notifies the channel: look as often as the shortest wait.
  pollIntervalMs: (settings) => Math.min(30_000, settings.CHECKOUT_RETRY_AFTER_SECONDS * 1_000),
});

/**
 * Inventory's follow-up (DESIGN.md, "Ask again, get the same answer", from the answering side): a reservation
 * that has heard nothing back for the retry period publishes its answer again, with the requesters' backoff.
 * It heals what the requesters cannot see: an `order.created` lost on its way to inventory (the cart heard it,
 * so nobody asks again, and without this the sweeper would return units that were sold), and a
 * `reservation.expired` lost on its way to order (the order would stay confirmed without units).
 */
export const createReservationFollowUp = followUp.create;

/** The follow-up's background loop; returns what stops it. */
export const startReservationFollowUp = followUp.start;
