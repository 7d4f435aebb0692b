import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import { adminHeaders, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { startReservationSweeper, sweepOnce } from '../src/expiry/reservation-sweeper';
import {
  deliver,
  expireAgo,
  inventoryContext,
  message,
  orderCancelled,
  orderCreated,
  orderRequested,
  outbox,
  outboxMark,
  reservationFor,
  seedStock,
  stockOf,
  type Line,
} from './inventory-test-kit';

let db: TestDatabase;
let context: ReturnType<typeof inventoryContext>;

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 10 });
  context = inventoryContext(db);
});

const GRACE = 30;
const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const sweep = (batchSize = 100) => sweepOnce({ db, publish: context.events.publish }, { graceSeconds: GRACE, batchSize });

/** Reserves `lines` (of SKUs stocked by the caller) through the handler; returns the request and its reservation id. */
async function reserve(lines: Line[], overrides: Partial<PayloadOf<'order-requested'>> = {}) {
  const request = orderRequested(lines, overrides);
  expect(await deliver(context, 'order-requested', [message('order-requested', request)])).toEqual([{ status: 'ack' }]);
  const reservation = (await reservationFor(db, request.request_id))!;
  expect(reservation.status).toBe('reserved');
  return { request, reservationId: reservation.reservation_id };
}

/** Sweeps until nothing is due; returns what each round expired. */
async function sweepAll(batchSize = 100): Promise<number[]> {
  const rounds: number[] = [];
  for (let taken = await sweep(batchSize); taken > 0; taken = await sweep(batchSize)) rounds.push(taken);
  return rounds;
}

describe('the reservation sweeper', () => {
  it('expires a reservation only once expires_at plus the grace period has passed, returning its units and publishing stock.changed', async () => {
    const [a, b] = [fresh('A'), fresh('B')];
    await seedStock(db, { [a]: 10, [b]: 4 });
    const { request } = await reserve([
      [a, 3],
      [b, 4],
    ]);
    await expireAgo(db, request.request_id, GRACE - 5);
    expect(await sweepAll()).toEqual([]);
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'reserved' });
    expect(await stockOf(db, a)).toEqual({ available: 7, reserved: 3, version: 2 });

    await expireAgo(db, request.request_id, GRACE + 1);
    const mark = await outboxMark(db);
    expect(await sweepAll()).toEqual([1]);
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'expired', order_id: null });
    expect(await stockOf(db, a)).toEqual({ available: 10, reserved: 0, version: 3 });
    expect(await stockOf(db, b)).toEqual({ available: 4, reserved: 0, version: 3 });
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual(
      [
        ['stock.changed', { sku: a, available: 10, version: 3 }],
        ['stock.changed', { sku: b, available: 4, version: 3 }],
      ].sort((x, y) => ((x[1] as { sku: string }).sku < (y[1] as { sku: string }).sku ? -1 : 1)),
    );
  });

  it('works in batches: 250 due reservations with a batch of 100 take three rounds, one stock.changed per SKU and round', async () => {
    const sku = fresh('MANY');
    await seedStock(db, { [sku]: 250 });
    const requests = Array.from({ length: 250 }, () => orderRequested([[sku, 1]]));
    for (let i = 0; i < 250; i += 50) {
      await deliver(
        context,
        'order-requested',
        requests.slice(i, i + 50).map((r) => message('order-requested', r)),
      );
    }
    expect(await stockOf(db, sku)).toMatchObject({ available: 0, reserved: 250 });
    await db.pool.query(`UPDATE inventory.reservations SET expires_at = now() - interval '1 hour' WHERE request_id = ANY($1::uuid[])`, [
      requests.map((r) => r.request_id),
    ]);
    const mark = await outboxMark(db);
    expect(await sweepAll(100)).toEqual([100, 100, 50]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 250, reserved: 0 });
    expect((await outbox(db, mark)).map((e) => e.payload['available'])).toEqual([100, 200, 250]);
  });

  it('leaves committed, released and rejected reservations alone, however old', async () => {
    const [sku, none] = [fresh('KEEP'), fresh('NONE')];
    await seedStock(db, { [sku]: 10, [none]: 0 });
    const committed = await reserve([[sku, 2]]);
    await deliver(context, 'order.created', [message('order.created', orderCreated(committed.request, committed.reservationId))]);
    const released = await reserve([[sku, 3]]);
    const releasedOrder = orderCreated(released.request, released.reservationId);
    await deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(released.request, released.reservationId, releasedOrder.order_id))]);
    const rejected = orderRequested([[none, 1]]);
    await deliver(context, 'order-requested', [message('order-requested', rejected)]);
    for (const r of [committed.request, released.request, rejected]) await expireAgo(db, r.request_id, 3600);
    const before = await stockOf(db, sku);

    expect(await sweepAll()).toEqual([]);
    expect(await stockOf(db, sku)).toEqual(before);
    expect((await reservationFor(db, committed.request.request_id))!.status).toBe('committed');
    expect((await reservationFor(db, released.request.request_id))!.status).toBe('released');
    expect((await reservationFor(db, rejected.request_id))!.status).toBe('rejected');
  });

  it('never returns units twice when four sweepers race over the same due reservations', async () => {
    const [a, b] = [fresh('RACE-A'), fresh('RACE-B')];
    await seedStock(db, { [a]: 300, [b]: 300 });
    const requests = Array.from({ length: 300 }, (_, i) =>
      orderRequested(
        i % 2
          ? [[a, 1]]
          : [
              [b, 1],
              [a, 1],
            ],
      ),
    );
    for (let i = 0; i < 300; i += 50) {
      await deliver(
        context,
        'order-requested',
        requests.slice(i, i + 50).map((r) => message('order-requested', r)),
      );
    }
    await db.pool.query(`UPDATE inventory.reservations SET expires_at = now() - interval '1 hour' WHERE request_id = ANY($1::uuid[])`, [
      requests.map((r) => r.request_id),
    ]);
    const rounds = await Promise.all(Array.from({ length: 4 }, () => sweepAll(20)));
    expect(rounds.flat().reduce((sum, n) => sum + n, 0)).toBe(300);
    expect(await stockOf(db, a)).toMatchObject({ available: 300, reserved: 0 });
    expect(await stockOf(db, b)).toMatchObject({ available: 300, reserved: 0 });
    const { rows } = await db.pool.query(`SELECT status, count(*)::int AS n FROM inventory.reservations WHERE request_id = ANY($1::uuid[]) GROUP BY status`, [
      requests.map((r) => r.request_id),
    ]);
    expect(rows).toEqual([{ status: 'expired', n: 300 }]);
  });

  it('finds due reservations through the partial index of open reservations by expires_at', async () => {
    const plan = await db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      return tx.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN SELECT reservation_id FROM inventory.reservations
         WHERE status = 'reserved' AND expires_at <= now() - make_interval(secs => 30) ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
    });
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('reservations_open_expiry_idx');
  });

  it('runs as a loop: a reservation made while it waits is expired once its time and the grace have passed', async () => {
    const quick = inventoryContext(db, { ttlSeconds: 1 });
    const sweeper = startReservationSweeper(
      { RESERVATION_TTL_SECONDS: 1, RESERVATION_EXPIRY_GRACE_SECONDS: 0 },
      { db, databaseUrl: db.url, publish: quick.events.publish, logger: quick.logger },
    );
    try {
      const sku = fresh('LOOP');
      await seedStock(db, { [sku]: 5 });
      const request = orderRequested([[sku, 2]]);
      await deliver(quick, 'order-requested', [message('order-requested', request)]);
      expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'reserved' });
      const deadline = Date.now() + 8_000;
      while ((await reservationFor(db, request.request_id))!.status !== 'expired' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'expired' });
      expect(await stockOf(db, sku)).toMatchObject({ available: 5, reserved: 0 });
    } finally {
      await sweeper.stop();
    }
  });
});

describe('an expired reservation and the order events that come late', () => {
  async function expired(levels: Record<string, number>, lines: Line[]) {
    await seedStock(db, levels);
    const reserved = await reserve(lines);
    await expireAgo(db, reserved.request.request_id, GRACE + 1);
    expect(await sweepAll()).toEqual([1]);
    return reserved;
  }

  it('order.created re-takes the units when every line still has them: committed, stock.changed; a copy changes nothing', async () => {
    const [a, b] = [fresh('RT-A'), fresh('RT-B')];
    const { request, reservationId } = await expired({ [a]: 5, [b]: 2 }, [
      [a, 2],
      [b, 2],
    ]);
    const created = orderCreated(request, reservationId);
    const delivery = message('order.created', created);
    const mark = await outboxMark(db);
    expect(await deliver(context, 'order.created', [delivery])).toEqual([{ status: 'ack' }]);
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'committed', order_id: created.order_id });
    expect(await stockOf(db, a)).toEqual({ available: 3, reserved: 0, version: 4 });
    expect(await stockOf(db, b)).toEqual({ available: 0, reserved: 0, version: 4 });
    expect((await outbox(db, mark)).map((e) => e.topic)).toEqual(['stock.changed', 'stock.changed']);

    const again = await outboxMark(db);
    expect(await deliver(context, 'order.created', [delivery])).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await deliver(context, 'order.created', [message('order.created', created)])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, a)).toEqual({ available: 3, reserved: 0, version: 4 });
    expect(await outbox(db, again)).toEqual([]);
  });

  it('order.created publishes reservation.expired when a line was sold meanwhile, taking nothing; a repeat answers alike, even once stock is back', async () => {
    const [a, b] = [fresh('SO-A'), fresh('SO-B')];
    const { request, reservationId } = await expired({ [a]: 5, [b]: 2 }, [
      [a, 2],
      [b, 2],
    ]);
    await db.pool.query('UPDATE inventory.stock SET available = 1 WHERE sku = $1', [b]);
    const created = orderCreated(request, reservationId);
    const mark = await outboxMark(db);
    expect(await deliver(context, 'order.created', [message('order.created', created)])).toEqual([{ status: 'ack' }]);
    const { rows } = await db.pool.query(
      `SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM inventory.reservations WHERE reservation_id = $1`,
      [reservationId],
    );
    const events = await outbox(db, mark);
    expect(events.map((e) => [e.topic, e.payload])).toEqual([
      [
        'reservation.expired',
        {
          reservation_id: reservationId,
          request_id: request.request_id,
          order_id: created.order_id,
          customer_id: request.customer_id,
          items: [...request.items].sort((x, y) => (x.product_sku < y.product_sku ? -1 : 1)),
          expired_at: rows[0].at,
        },
      ],
    ]);
    expect(events[0]!.attributes).toMatchObject({ correlation_id: 'test-correlation' });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'expired', order_id: created.order_id });
    expect(await stockOf(db, a)).toMatchObject({ available: 5, reserved: 0 });

    await db.pool.query('UPDATE inventory.stock SET available = 5 WHERE sku = $1', [b]);
    const again = await outboxMark(db);
    expect(await deliver(context, 'order.created', [message('order.created', created)])).toEqual([{ status: 'ack' }]);
    expect((await outbox(db, again)).map((e) => [e.topic, e.payload])).toEqual(events.map((e) => [e.topic, e.payload]));
    expect(await stockOf(db, b)).toMatchObject({ available: 5, reserved: 0 });
  });

  it('order.created publishes reservation.expired when a SKU has no stock record any more', async () => {
    const sku = fresh('GONE');
    const { request, reservationId } = await expired({ [sku]: 3 }, [[sku, 1]]);
    await db.pool.query('DELETE FROM inventory.stock WHERE sku = $1', [sku]);
    const mark = await outboxMark(db);
    await deliver(context, 'order.created', [message('order.created', orderCreated(request, reservationId))]);
    expect((await outbox(db, mark)).map((e) => e.topic)).toEqual(['reservation.expired']);
  });

  it('order.cancelled for an expired reservation returns nothing: the units are already back', async () => {
    const sku = fresh('CX');
    const { request, reservationId } = await expired({ [sku]: 4 }, [[sku, 3]]);
    const mark = await outboxMark(db);
    expect(await deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, reservationId, randomUUID()))])).toEqual([
      { status: 'ack' },
    ]);
    expect(await stockOf(db, sku)).toEqual({ available: 4, reserved: 0, version: 3 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'expired' });
    expect(await outbox(db, mark)).toEqual([]);
  });

  it('an order cancelled before its late order.created arrives takes no units: reservation.expired answers it', async () => {
    const sku = fresh('CX2');
    const { request, reservationId } = await expired({ [sku]: 4 }, [[sku, 3]]);
    const created = orderCreated(request, reservationId);
    await deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, reservationId, created.order_id))]);
    const mark = await outboxMark(db);
    expect(await deliver(context, 'order.created', [message('order.created', created)])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, sku)).toEqual({ available: 4, reserved: 0, version: 3 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'expired', order_id: created.order_id });
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload['order_id']])).toEqual([['reservation.expired', created.order_id]]);
  });

  it('answers the request asked again after the sweep with stock.rejected reservation_expired, reserving nothing again', async () => {
    const sku = fresh('ASK');
    const { request } = await expired({ [sku]: 3 }, [[sku, 3]]);
    const mark = await outboxMark(db);
    expect(await deliver(context, 'order-requested', [message('order-requested', request)])).toEqual([{ status: 'ack' }]);
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload['reason'], e.payload['details']])).toEqual([['stock.rejected', 'reservation_expired', []]]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 3, reserved: 0 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'expired' });
  });

  it('counts only open reservations: GET shows reserved 0 after expiry, and DELETE is refused only while one is open', async () => {
    const sku = fresh('ROUTE');
    await seedStock(db, { [sku]: 6 });
    const { request } = await reserve([[sku, 2]]);
    const path = `/inventory/${encodeURIComponent(sku)}`;
    expect(await (await context.app.request(path, { headers: supportHeaders })).json()).toMatchObject({ available: 4, reserved: 2 });
    expect((await context.app.request(path, { method: 'DELETE', headers: adminHeaders })).status).toBe(409);
    await expireAgo(db, request.request_id, GRACE + 1);
    expect(await sweepAll()).toEqual([1]);
    expect(await (await context.app.request(path, { headers: supportHeaders })).json()).toMatchObject({ available: 6, reserved: 0 });
    expect((await context.app.request(path, { method: 'DELETE', headers: adminHeaders })).status).toBe(204);
  });
});
