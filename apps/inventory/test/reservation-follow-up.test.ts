// Inventory follows up its own answers (DESIGN.md, "Recovery"): what the requesters cannot see, because the
// cart or buy-now request already heard its outcome, inventory asks about again until it hears back.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import { testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { sweepOnce } from '../src/expiry/reservation-sweeper';
import { createReservationFollowUp } from '../src/follow-up/reservation-follow-up';
import { deliver, expireAgo, inventoryContext, message, orderCancelled, orderCreated, orderRequested, outbox, outboxMark, reservationFor, seedStock, stockOf, type Line } from './inventory-test-kit';

let db: TestDatabase;
let context: ReturnType<typeof inventoryContext>;

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 6 });
  context = inventoryContext(db);
});

const RETRY = { CHECKOUT_RETRY_AFTER_SECONDS: 20, CHECKOUT_RETRY_MAX_SECONDS: 300 };
const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const followUp = () => createReservationFollowUp(RETRY, { db, publish: context.events.publish, logger: testLogger('inventory') });

async function reserve(lines: Line[]) {
  const request = orderRequested(lines);
  expect(await deliver(context, 'order-requested', [message('order-requested', request)])).toEqual([{ status: 'ack' }]);
  const reservation = (await reservationFor(db, request.request_id))!;
  expect(reservation.status).toBe('reserved');
  return { request, reservationId: reservation.reservation_id };
}

/** Time passing for a reservation's follow-up: its last answer moves `seconds` into the past. */
async function age(reservationId: string, seconds: number): Promise<void> {
  await db.pool.query(`UPDATE inventory.reservations SET asked_at = asked_at - make_interval(secs => $2) WHERE reservation_id = $1`, [reservationId, seconds]);
}

async function publishedFor(mark: string, reservationId: string) {
  return (await outbox(db, mark)).filter((e) => e.payload['reservation_id'] === reservationId && e.topic !== 'stock.changed');
}

describe('inventory follows up an open reservation', () => {
  it('publishes its stock-available again, field for field under a new event id, once the retry period passed; then waits twice as long', async () => {
    const sku = fresh('FU');
    await seedStock(db, { [sku]: 5 });
    const mark = await outboxMark(db);
    const { reservationId } = await reserve([[sku, 2]]);
    const [first] = await publishedFor(mark, reservationId);
    expect(first!.topic).toBe('stock-available');

    await age(reservationId, 19);
    await followUp().runDue();
    expect(await publishedFor(mark, reservationId)).toHaveLength(1);
    await age(reservationId, 1);
    await followUp().runDue();
    const [, again] = await publishedFor(mark, reservationId);
    expect(again!.topic).toBe('stock-available');
    expect(again!.payload).toEqual(first!.payload);
    expect(again!.attributes['event_id']).not.toBe(first!.attributes['event_id']);

    await age(reservationId, 39);
    await followUp().runDue();
    expect(await publishedFor(mark, reservationId)).toHaveLength(2);
    await age(reservationId, 1);
    await followUp().runDue();
    expect(await publishedFor(mark, reservationId)).toHaveLength(3);
    // Nothing was reserved twice: the units are held once.
    expect(await stockOf(db, sku)).toMatchObject({ available: 3, reserved: 2 });
  });

  it('stops once order.created commits the reservation, and once the sweeper expires it', async () => {
    const [a, b] = [fresh('FU-C'), fresh('FU-E')];
    await seedStock(db, { [a]: 5, [b]: 5 });
    const committed = await reserve([[a, 1]]);
    const expiring = await reserve([[b, 1]]);
    await deliver(context, 'order.created', [message('order.created', orderCreated(committed.request, committed.reservationId))]);
    await expireAgo(db, expiring.request.request_id, 31);
    expect(await sweepOnce({ db, publish: context.events.publish }, { graceSeconds: 30, batchSize: 100 })).toBeGreaterThanOrEqual(1);
    await age(committed.reservationId, 3_600);
    await age(expiring.reservationId, 3_600);
    const mark = await outboxMark(db);
    await followUp().runDue();
    expect(await publishedFor(mark, committed.reservationId)).toEqual([]);
    expect(await publishedFor(mark, expiring.reservationId)).toEqual([]);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM inventory.reservations WHERE reservation_id = ANY($1::uuid[]) AND asked_at IS NOT NULL`, [
      [committed.reservationId, expiring.reservationId],
    ]);
    expect(rows[0].n).toBe(0);
  });
});

describe('inventory follows up a refused late order', () => {
  async function refused() {
    const sku = fresh('FU-R');
    await seedStock(db, { [sku]: 2 });
    const { request, reservationId } = await reserve([[sku, 2]]);
    await expireAgo(db, request.request_id, 31);
    await sweepOnce({ db, publish: context.events.publish }, { graceSeconds: 30, batchSize: 100 });
    await db.pool.query('UPDATE inventory.stock SET available = 0 WHERE sku = $1', [sku]);
    const created = orderCreated(request, reservationId);
    const mark = await outboxMark(db);
    await deliver(context, 'order.created', [message('order.created', created)]);
    const [first] = await publishedFor(mark, reservationId);
    expect(first!.topic).toBe('reservation.expired');
    return { request, reservationId, created, first: first! };
  }

  it('publishes reservation.expired again until the order’s order.cancelled arrives, then stops', async () => {
    const { request, reservationId, created, first } = await refused();
    const mark = await outboxMark(db);
    await age(reservationId, 20);
    await followUp().runDue();
    const [again] = await publishedFor(mark, reservationId);
    expect(again!.topic).toBe('reservation.expired');
    expect(again!.payload).toEqual(first.payload);

    const cancelled: PayloadOf<'order.cancelled'> = { ...orderCancelled(request, reservationId, created.order_id), reason: 'reservation_expired' };
    await deliver(context, 'order.cancelled', [message('order.cancelled', cancelled)]);
    await age(reservationId, 3_600);
    const after = await outboxMark(db);
    await followUp().runDue();
    expect(await publishedFor(after, reservationId)).toEqual([]);
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'expired', order_id: created.order_id });
  });
});
