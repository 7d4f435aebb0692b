import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import { adminHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { reserveStock, type ReservationOutcome } from '../src/domain/reserve-stock';
import {
  deadlocksSoFar,
  deliver,
  inventoryContext,
  message,
  orderCancelled,
  orderCreated,
  orderRequested,
  reservationFor,
  seedStock,
  stockOf,
  TTL_SECONDS,
  type Line,
} from './inventory-test-kit';

let db: TestDatabase;
let context: ReturnType<typeof inventoryContext>;

beforeAll(async () => {
  // 300 transactions queue for 20 connections at once: on a loaded CI machine the last ones wait longer than the
  // services' 5 s, which would turn into retries. These tests are about outcomes under concurrency, not pool timing.
  db = await useTestDatabase({ poolMax: 20, connectTimeoutMs: 60_000 });
  context = inventoryContext(db);
});

const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/**
 * Reserves in a transaction of its own WITHOUT the retry `inTransaction` adds for deadlocks: a deadlock
 * between concurrent reservations would surface here as a rejected promise.
 */
async function reserveOnce(lines: Line[]): Promise<{ request: PayloadOf<'order-requested'>; outcome: ReservationOutcome }> {
  const request = orderRequested(lines);
  const [outcome] = await db.prisma.$transaction((tx) => reserveStock(tx, [{ request, correlationId: request.cart_id! }], TTL_SECONDS), {
    timeout: 30_000,
    maxWait: 30_000,
  });
  return { request, outcome: outcome! };
}

/** Same, for a whole batch in one transaction. */
function reserveBatchOnce(batch: Line[][]): Promise<ReservationOutcome[]> {
  const requests = batch.map((lines) => {
    const request = orderRequested(lines);
    return { request, correlationId: request.cart_id! };
  });
  return db.prisma.$transaction((tx) => reserveStock(tx, requests, TTL_SECONDS), { timeout: 30_000, maxWait: 30_000 });
}

/**
 * The books of `skus` balance: for each, `available` plus every unit in live reservations (reserved or
 * committed) equals what was stocked; the `reserved` column equals the units of `reserved` reservations; no
 * level is negative; and every reservation holds all of its request's lines or none of them.
 */
async function expectBooksBalance(stocked: Record<string, number>): Promise<void> {
  const skus = Object.keys(stocked);
  const { rows } = await db.pool.query<{ sku: string; available: number; reserved: number; held: number; sold: number }>(
    `SELECT s.sku, s.available, s.reserved,
            COALESCE(sum(l.quantity) FILTER (WHERE r.status = 'reserved'), 0)::int AS held,
            COALESCE(sum(l.quantity) FILTER (WHERE r.status = 'committed'), 0)::int AS sold
     FROM inventory.stock s
     LEFT JOIN inventory.reservation_lines l ON l.sku = s.sku
     LEFT JOIN inventory.reservations r ON r.reservation_id = l.reservation_id
     WHERE s.sku = ANY($1) GROUP BY s.sku`,
    [skus],
  );
  expect(rows).toHaveLength(skus.length);
  for (const row of rows) {
    expect(row.available).toBeGreaterThanOrEqual(0);
    expect(row.reserved).toBe(row.held);
    expect(row.available + row.held + row.sold).toBe(stocked[row.sku]);
  }
}

describe('reservations under concurrency', () => {
  it('300 concurrent single-line checkouts of a SKU with 25 units: exactly 25 reserved, 275 rejected, never negative', async () => {
    const sku = fresh('FLASH');
    await seedStock(db, { [sku]: 25 });
    const requests = Array.from({ length: 300 }, () => orderRequested([[sku, 1]]));
    let lowest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        lowest = Math.min(lowest, (await stockOf(db, sku))!.available);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // Each delivery is its own message and its own transaction, all at once.
    const outcomes = await Promise.all(requests.map((r) => deliver(context, 'order-requested', [message('order-requested', r)])));
    sampling = false;
    await sampler;

    expect(outcomes.flat()).toEqual(requests.map(() => ({ status: 'ack' })));
    expect(await stockOf(db, sku)).toEqual({ available: 0, reserved: 25, version: 26 });
    expect(lowest).toBeGreaterThanOrEqual(0);
    const { rows } = await db.pool.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM inventory.reservations WHERE request_id = ANY($1::uuid[]) GROUP BY status ORDER BY status`,
      [requests.map((r) => r.request_id)],
    );
    expect(rows).toEqual([
      { status: 'rejected', n: 275 },
      { status: 'reserved', n: 25 },
    ]);
    const { rows: published } = await db.pool.query<{ topic: string; n: number }>(
      `SELECT topic, count(*)::int AS n FROM inventory.outbox WHERE payload->>'request_id' = ANY($1) GROUP BY topic ORDER BY topic`,
      [requests.map((r) => r.request_id)],
    );
    expect(published).toEqual([
      { topic: 'stock-available', n: 25 },
      { topic: 'stock.rejected', n: 275 },
    ]);
    await expectBooksBalance({ [sku]: 25 });
  });

  it.each([
    ['a stocked SKU (the copies queue on its lock)', 100],
    ['an unknown SKU (nothing to lock: the copies race to insert)', null],
  ])('reserves once for 10 concurrent events of one request (different event ids) on %s, each answered with the same decision', async (_label, units) => {
    const sku = fresh('ONCE');
    if (units !== null) await seedStock(db, { [sku]: units });
    const request = orderRequested([[sku, 7]]);
    // As the transport does: a copy that lost the race (a unique violation, retried) is delivered again.
    const untilAcked = async (copy: ReturnType<typeof message>) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const [outcome] = await deliver(context, 'order-requested', [copy]);
        if (outcome!.status !== 'retry') return outcome;
      }
      throw new Error('still retried after 5 deliveries');
    };
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => untilAcked(message('order-requested', request))));
    expect(outcomes).toEqual(Array.from({ length: 10 }, () => ({ status: 'ack' })));
    if (units !== null) expect(await stockOf(db, sku)).toEqual({ available: 93, reserved: 7, version: 2 });
    const { rows: reservations } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM inventory.reservations WHERE request_id = $1`, [request.request_id]);
    expect(reservations[0]!.n).toBe(1);
    const { rows } = await db.pool.query<{ topic: string; payload: unknown }>(`SELECT topic, payload FROM inventory.outbox WHERE payload->>'request_id' = $1`, [
      request.request_id,
    ]);
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(rows[0]!.topic).toBe(units === null ? 'stock.rejected' : 'stock-available');
  });

  it('300 checkouts of a SKU with 25 units in six concurrent batches of 50: exactly 25 reserved', async () => {
    const sku = fresh('FLASHB');
    await seedStock(db, { [sku]: 25 });
    const requests = Array.from({ length: 300 }, () => orderRequested([[sku, 1]]));
    const batches = Array.from({ length: 6 }, (_, i) => requests.slice(i * 50, i * 50 + 50).map((r) => message('order-requested', r)));
    const outcomes = await Promise.all(batches.map((batch) => deliver(context, 'order-requested', batch)));
    expect(outcomes.flat().every((o) => o.status === 'ack' && !o.duplicate)).toBe(true);
    expect(await stockOf(db, sku)).toMatchObject({ available: 0, reserved: 25 });
    const statuses = await Promise.all(requests.map(async (r) => (await reservationFor(db, r.request_id))!.status));
    expect(statuses.filter((s) => s === 'reserved')).toHaveLength(25);
    expect(statuses.filter((s) => s === 'rejected')).toHaveLength(275);
    await expectBooksBalance({ [sku]: 25 });
  });

  it('multi-line checkouts [A,B] and [B,A] racing single-line [A] and [B]: all or nothing, no deadlock, books balance', async () => {
    const [a, b] = [fresh('A'), fresh('B')];
    const stocked = { [a]: 60, [b]: 60 };
    await seedStock(db, stocked);
    const shapes: Line[][] = [
      [
        [a, 2],
        [b, 3],
      ],
      [
        [b, 1],
        [a, 2],
      ],
      [[a, 3]],
      [[b, 2]],
    ];
    const deadlocksBefore = await deadlocksSoFar(db);
    const lines = Array.from({ length: 160 }, (_, i) => shapes[i % shapes.length]!);
    const settled = await Promise.allSettled(lines.map((l) => reserveOnce(l)));

    const failures = settled.filter((s) => s.status === 'rejected');
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
    const results = settled.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof reserveOnce>>>).value);
    expect(results.filter((r) => r.outcome.status === 'rejected').length).toBeGreaterThan(0);
    expect(results.filter((r) => r.outcome.status === 'reserved').length).toBeGreaterThan(0);
    // All or nothing: a reservation holds exactly its request's lines; a rejected request holds none.
    for (const { request, outcome } of results) {
      const record = (await reservationFor(db, request.request_id))!;
      expect(record.status).toBe(outcome.status);
      const wanted = outcome.status === 'reserved' ? request.items.map((l) => ({ sku: l.product_sku, quantity: l.quantity })) : [];
      expect(record.lines).toEqual(wanted.sort((x, y) => (x.sku < y.sku ? -1 : 1)));
    }
    await expectBooksBalance(stocked);
    await new Promise((r) => setTimeout(r, 1100)); // statistics are flushed at most once a second
    expect(await deadlocksSoFar(db)).toBe(deadlocksBefore);
  });

  it('two batches in parallel over overlapping SKUs in opposite line orders: no deadlock, books balance', async () => {
    const [a, b, c] = [fresh('A'), fresh('B'), fresh('C')];
    const stocked = { [a]: 40, [b]: 40, [c]: 40 };
    await seedStock(db, stocked);
    const forward: Line[][] = Array.from({ length: 50 }, (_, i) =>
      i % 2
        ? [
            [a, 1],
            [b, 1],
            [c, 1],
          ]
        : [[b, 2]],
    );
    const backward: Line[][] = Array.from({ length: 50 }, (_, i) =>
      i % 2
        ? [
            [c, 1],
            [b, 1],
            [a, 1],
          ]
        : [[a, 2]],
    );
    const deadlocksBefore = await deadlocksSoFar(db);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled([reserveBatchOnce(forward), reserveBatchOnce(backward), reserveBatchOnce(forward.slice(0, 10))]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    }
    await expectBooksBalance(stocked);
    const after = await Promise.all([a, b, c].map((sku) => stockOf(db, sku)));
    expect(after.every((s) => s!.available >= 0)).toBe(true);
    expect(after.map((s) => s!.available)).toContain(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await deadlocksSoFar(db)).toBe(deadlocksBefore);
  });

  it('concurrent batches through the consumer keep the books balanced', async () => {
    const [a, b] = [fresh('A'), fresh('B')];
    const stocked = { [a]: 30, [b]: 30 };
    await seedStock(db, stocked);
    const batch = (first: string, second: string) =>
      Array.from({ length: 50 }, (_, i) =>
        message(
          'order-requested',
          orderRequested(
            i % 3
              ? [[first, 1]]
              : [
                  [second, 1],
                  [first, 1],
                ],
          ),
        ),
      );
    const outcomes = await Promise.all([deliver(context, 'order-requested', batch(a, b)), deliver(context, 'order-requested', batch(b, a))]);
    expect(outcomes.flat().every((o) => o.status === 'ack')).toBe(true);
    await expectBooksBalance(stocked);
  });
});

describe('cancellation under concurrency', () => {
  async function committedOrder(sku: string, units: number) {
    await seedStock(db, { [sku]: 10 });
    const request = orderRequested([[sku, units]]);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    const { reservation_id: reservationId } = (await reservationFor(db, request.request_id))!;
    const created = orderCreated(request, reservationId);
    await deliver(context, 'order.created', [message('order.created', created)]);
    return { request, reservationId, orderId: created.order_id };
  }

  it('returns stock once under 5 concurrent deliveries of one order.cancelled', async () => {
    const sku = fresh('CANCEL');
    const { request, reservationId, orderId } = await committedOrder(sku, 4);
    expect(await stockOf(db, sku)).toMatchObject({ available: 6, reserved: 0 });
    const cancel = message('order.cancelled', orderCancelled(request, reservationId, orderId));
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => deliver(context, 'order.cancelled', [cancel])));
    expect(outcomes.flat().filter((o) => o.status === 'ack' && !o.duplicate)).toHaveLength(1);
    expect(await stockOf(db, sku)).toEqual({ available: 10, reserved: 0, version: 3 });
  });

  it('returns stock once under 5 concurrent order.cancelled events (different event ids) for one order', async () => {
    const sku = fresh('CANCEL2');
    const { request, reservationId, orderId } = await committedOrder(sku, 4);
    const payload = orderCancelled(request, reservationId, orderId);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => deliver(context, 'order.cancelled', [message('order.cancelled', payload)])));
    expect(outcomes.flat().every((o) => o.status === 'ack')).toBe(true);
    expect(await stockOf(db, sku)).toEqual({ available: 10, reserved: 0, version: 3 });
    await expectBooksBalance({ [sku]: 10 });
  });

  it('order.created racing order.cancelled for one reservation ends released with the stock back once', async () => {
    for (let round = 0; round < 5; round++) {
      const sku = fresh('RACE');
      await seedStock(db, { [sku]: 10 });
      const request = orderRequested([[sku, 3]]);
      await deliver(context, 'order-requested', [message('order-requested', request)]);
      const { reservation_id: reservationId } = (await reservationFor(db, request.request_id))!;
      const orderId = randomUUID();
      await Promise.all([
        deliver(context, 'order.created', [message('order.created', orderCreated(request, reservationId, orderId))]),
        deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, reservationId, orderId))]),
        deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, reservationId, orderId))]),
      ]);
      expect(await stockOf(db, sku)).toMatchObject({ available: 10, reserved: 0 });
      expect((await reservationFor(db, request.request_id))!.status).toBe('released');
    }
  });
});

describe('admin writes racing reservations', () => {
  it('DELETE /inventory/:sku racing checkouts: either refused while reserved, or the checkouts see no record', async () => {
    const sku = fresh('GONE');
    await seedStock(db, { [sku]: 50 });
    const requests = Array.from({ length: 40 }, () => orderRequested([[sku, 1]]));
    const [deleteResponse, ...outcomes] = await Promise.all([
      context.app.request(`/inventory/${sku}`, { method: 'DELETE', headers: adminHeaders }),
      ...requests.map((r) => deliver(context, 'order-requested', [message('order-requested', r)])),
    ]);
    expect(outcomes.flat().every((o) => o.status === 'ack')).toBe(true);
    const statuses = await Promise.all(requests.map(async (r) => (await reservationFor(db, r.request_id))!.status));
    const reserved = statuses.filter((s) => s === 'reserved').length;
    if (deleteResponse.status === 204) {
      expect(await stockOf(db, sku)).toBeUndefined();
      // Every checkout either ran before the delete (none can have: the delete would be refused) or after it.
      expect(reserved).toBe(0);
    } else {
      expect(deleteResponse.status).toBe(409);
      expect(await stockOf(db, sku)).toMatchObject({ available: 50 - reserved, reserved });
    }
  });
});
