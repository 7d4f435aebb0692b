import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '@shop/db';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { reserveStock } from '../src/domain/reserve-stock';
import {
  CUSTOMER,
  deliver,
  inventoryContext,
  message,
  orderCreated,
  orderRequested,
  outbox,
  outboxMark,
  reservationFor,
  seedStock,
  stockOf,
  TTL_SECONDS,
} from './inventory-test-kit';

let db: TestDatabase;
let context: ReturnType<typeof inventoryContext>;

beforeAll(async () => {
  db = await useTestDatabase();
  context = inventoryContext(db);
});

function uniqueSku(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

describe('order-requested handler', () => {
  it('reserves every line, records the reservation, and publishes stock-available and stock.changed per SKU', async () => {
    const [a, b] = [uniqueSku('A'), uniqueSku('B')];
    await seedStock(db, { [a]: 10, [b]: 5 });
    const mark = await outboxMark(db);
    const request = orderRequested([
      [a, 3],
      [b, 5],
    ]);
    expect(await deliver(context, 'order-requested', [message('order-requested', request)])).toEqual([{ status: 'ack' }]);

    expect(await stockOf(db, a)).toEqual({ available: 7, reserved: 3, version: 2 });
    expect(await stockOf(db, b)).toEqual({ available: 0, reserved: 5, version: 2 });
    const reservation = await reservationFor(db, request.request_id);
    expect(reservation).toMatchObject({ status: 'reserved', order_id: null, lines: [{ sku: a, quantity: 3 }, { sku: b, quantity: 5 }].sort((x, y) => (x.sku < y.sku ? -1 : 1)) });
    const expiresInMs = Date.parse(reservation!.expires_at!) - Date.now();
    expect(expiresInMs).toBeGreaterThan((TTL_SECONDS - 60) * 1000);
    expect(expiresInMs).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    const events = await outbox(db, mark);
    expect(events.map((e) => [e.topic, e.payload])).toEqual([
      [
        'stock-available',
        {
          request_id: request.request_id,
          source: 'cart',
          cart_id: request.cart_id,
          customer_id: CUSTOMER,
          reservation_id: reservation!.reservation_id,
          items: request.items,
          currency: 'EUR',
          expires_at: reservation!.expires_at,
        },
      ],
      ...[
        ['stock.changed', { sku: a, available: 7, version: 2 }],
        ['stock.changed', { sku: b, available: 0, version: 2 }],
      ].sort((x, y) => ((x[1] as { sku: string }).sku < (y[1] as { sku: string }).sku ? -1 : 1)),
    ]);
    expect(events[0]!.attributes).toMatchObject({ producer: 'inventory', correlation_id: 'test-correlation' });
  });

  it('passes a buy-now request through with its null cart_id', async () => {
    const sku = uniqueSku('BUY');
    await seedStock(db, { [sku]: 1 });
    const mark = await outboxMark(db);
    const request = orderRequested([[sku, 1]], { source: 'buy-now', cart_id: null });
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    const [available] = await outbox(db, mark);
    expect(available).toMatchObject({ topic: 'stock-available', payload: { source: 'buy-now', cart_id: null } });
  });

  it('rejects the whole request as insufficient_stock when one line is short, reserving nothing', async () => {
    const [a, b] = [uniqueSku('A'), uniqueSku('B')];
    await seedStock(db, { [a]: 10, [b]: 2 });
    const mark = await outboxMark(db);
    const request = orderRequested([
      [a, 3],
      [b, 4],
    ]);
    await deliver(context, 'order-requested', [message('order-requested', request)]);

    expect(await stockOf(db, a)).toEqual({ available: 10, reserved: 0, version: 1 });
    expect(await stockOf(db, b)).toEqual({ available: 2, reserved: 0, version: 1 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'rejected', lines: [] });
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual([
      [
        'stock.rejected',
        {
          request_id: request.request_id,
          source: 'cart',
          cart_id: request.cart_id,
          customer_id: CUSTOMER,
          reason: 'insufficient_stock',
          details: [{ product_sku: b, requested: 4, available: 2 }],
        },
      ],
    ]);
  });

  it('rejects as unknown_product when a SKU has no stock record, listing it with available 0 beside short lines', async () => {
    const [known, short, missing] = [uniqueSku('K'), uniqueSku('S'), uniqueSku('M')];
    await seedStock(db, { [known]: 5, [short]: 1 });
    const mark = await outboxMark(db);
    const request = orderRequested([
      [known, 1],
      [short, 2],
      [missing, 3],
    ]);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    const [rejected, ...rest] = await outbox(db, mark);
    expect(rest).toEqual([]);
    expect(rejected!.payload).toMatchObject({
      reason: 'unknown_product',
      details: [
        { product_sku: short, requested: 2, available: 1 },
        { product_sku: missing, requested: 3, available: 0 },
      ],
    });
    expect(await stockOf(db, known)).toMatchObject({ available: 5, reserved: 0 });
  });

  it.each([
    ['deleted', 'product.deleted' as const, (sku: string) => message('product.deleted', { sku })],
    [
      'deactivated',
      'product.upserted' as const,
      (sku: string) => message('product.upserted', { sku, name: 'Gone', description: '', price_cents: 100, currency: 'EUR', active: false }),
    ],
  ])('rejects a line whose product the catalog %s as unknown_product, though it has stock', async (_label, topic, catalogEvent) => {
    const sku = uniqueSku('CAT');
    await seedStock(db, { [sku]: 5 });
    expect(await deliver(context, topic, [catalogEvent(sku)])).toEqual([{ status: 'ack' }]);
    const mark = await outboxMark(db);
    await deliver(context, 'order-requested', [message('order-requested', orderRequested([[sku, 1]]))]);
    expect((await outbox(db, mark)).map((e) => e.payload)).toEqual([
      expect.objectContaining({ reason: 'unknown_product', details: [{ product_sku: sku, requested: 1, available: 0 }] }),
    ]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 5, reserved: 0, version: 1 });
  });

  it('sells a SKU with stock that the catalog never mentioned, and one the catalog lists as active', async () => {
    const [unmentioned, listed] = [uniqueSku('U'), uniqueSku('L')];
    await seedStock(db, { [unmentioned]: 1, [listed]: 1 });
    await deliver(context, 'product.upserted', [
      message('product.upserted', { sku: listed, name: 'Listed', description: '', price_cents: 100, currency: 'EUR', active: true }),
    ]);
    const request = orderRequested([
      [unmentioned, 1],
      [listed, 1],
    ]);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'reserved' });
  });

  it('has one effect when the same message is delivered twice', async () => {
    const sku = uniqueSku('DUP');
    await seedStock(db, { [sku]: 10 });
    const mark = await outboxMark(db);
    const delivery = message('order-requested', orderRequested([[sku, 2]]));
    expect(await deliver(context, 'order-requested', [delivery])).toEqual([{ status: 'ack' }]);
    expect(await deliver(context, 'order-requested', [delivery])).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await stockOf(db, sku)).toEqual({ available: 8, reserved: 2, version: 2 });
    expect((await outbox(db, mark)).map((e) => e.topic)).toEqual(['stock-available', 'stock.changed']);
  });

  it('answers a second event of the same request_id (another event id) with the same stock-available, reserving nothing more', async () => {
    const [a, b] = [uniqueSku('REQ-B'), uniqueSku('REQ-A')];
    await seedStock(db, { [a]: 10, [b]: 10 });
    const request = orderRequested([
      [a, 2],
      [b, 1],
    ]);
    const mark = await outboxMark(db);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    const [first] = await outbox(db, mark);
    const again = await outboxMark(db);
    expect(await deliver(context, 'order-requested', [message('order-requested', request)])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, a)).toEqual({ available: 8, reserved: 2, version: 2 });
    expect(await stockOf(db, b)).toEqual({ available: 9, reserved: 1, version: 2 });
    const repeated = await outbox(db, again);
    expect(repeated.map((e) => [e.topic, e.payload])).toEqual([['stock-available', first!.payload]]);
    expect(first!.payload).toMatchObject({ reservation_id: (await reservationFor(db, request.request_id))!.reservation_id, expires_at: expect.any(String) });
    expect(repeated[0]!.attributes['event_id']).not.toBe(first!.attributes['event_id']);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM inventory.reservations WHERE request_id = $1', [request.request_id]);
    expect(rows[0].n).toBe(1);
  });

  it('answers a repeat of a rejected request with the same rejection, though stock arrived meanwhile', async () => {
    const sku = uniqueSku('LATE');
    await seedStock(db, { [sku]: 0 });
    const request = orderRequested([[sku, 1]]);
    const mark = await outboxMark(db);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    const [first] = await outbox(db, mark);
    await db.pool.query('UPDATE inventory.stock SET available = 5 WHERE sku = $1', [sku]);
    const again = await outboxMark(db);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 5, reserved: 0 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'rejected' });
    expect(first!.payload).toMatchObject({ reason: 'insufficient_stock', details: [{ product_sku: sku, requested: 1, available: 0 }] });
    expect((await outbox(db, again)).map((e) => [e.topic, e.payload])).toEqual([['stock.rejected', first!.payload]]);
  });

  it('answers a repeat once the reservation expired with stock.rejected, reason reservation_expired and no details', async () => {
    const sku = uniqueSku('EXP');
    await seedStock(db, { [sku]: 5 });
    const request = orderRequested([[sku, 2]]);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    await db.pool.query(`UPDATE inventory.reservations SET status = 'expired' WHERE request_id = $1`, [request.request_id]);
    await db.pool.query('UPDATE inventory.stock SET available = 5, reserved = 0 WHERE sku = $1', [sku]);
    const mark = await outboxMark(db);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual([
      [
        'stock.rejected',
        { request_id: request.request_id, source: 'cart', cart_id: request.cart_id, customer_id: CUSTOMER, reason: 'reservation_expired', details: [] },
      ],
    ]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 5, reserved: 0 });
  });

  it('answers a repeat of a request whose order was created (or cancelled since) with its stock-available, taking nothing', async () => {
    const sku = uniqueSku('DONE');
    await seedStock(db, { [sku]: 5 });
    const request = orderRequested([[sku, 2]], { source: 'buy-now', cart_id: null });
    const mark = await outboxMark(db);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    const [first] = await outbox(db, mark);
    const { reservation_id } = (await reservationFor(db, request.request_id))!;
    await deliver(context, 'order.created', [message('order.created', orderCreated(request, reservation_id))]);
    for (const status of ['committed', 'released']) {
      await db.pool.query(`UPDATE inventory.reservations SET status = $2 WHERE request_id = $1`, [request.request_id, status]);
      const again = await outboxMark(db);
      await deliver(context, 'order-requested', [message('order-requested', request)]);
      expect((await outbox(db, again)).map((e) => [e.topic, e.payload])).toEqual([['stock-available', first!.payload]]);
    }
    expect(await stockOf(db, sku)).toMatchObject({ available: 3, reserved: 0 });
  });

  it.each([
    ['a negative quantity', (p: Record<string, unknown>) => ({ ...p, items: [{ product_sku: 'X', quantity: -1, unit_price_cents: 1 }] })],
    ['no lines', (p: Record<string, unknown>) => ({ ...p, items: [] })],
    ['the same SKU twice', (p: Record<string, unknown>) => ({ ...p, items: [{ product_sku: 'X', quantity: 1, unit_price_cents: 1 }, { product_sku: 'X', quantity: 1, unit_price_cents: 1 }] })],
    ['a cart checkout without its cart', (p: Record<string, unknown>) => ({ ...p, cart_id: null })],
    ['a missing request_id', ({ request_id: _r, ...p }: Record<string, unknown>) => p],
  ])('dead-letters %s at once, reserving nothing', async (_label, corrupt) => {
    const sku = uniqueSku('BAD');
    await seedStock(db, { [sku]: 5 });
    const mark = await outboxMark(db);
    const valid = message('order-requested', orderRequested([[sku, 1]]));
    const invalid = { ...valid, data: JSON.stringify(corrupt(JSON.parse(valid.data as string) as Record<string, unknown>)) };
    expect(await deliver(context, 'order-requested', [invalid])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    const letters = await context.events.consumer.deadLetters.list({ limit: 100 });
    expect(letters.some((l) => l.event_id === valid.attributes['event_id'] && l.reason === 'invalid_payload')).toBe(true);
    expect(await stockOf(db, sku)).toMatchObject({ available: 5, reserved: 0 });
    expect(await outbox(db, mark)).toEqual([]);
  });
});

describe('order-requested handler, batched', () => {
  it('allocates a batch in arrival order, each request all or nothing, and publishes one stock.changed per SKU', async () => {
    const [a, b] = [uniqueSku('A'), uniqueSku('B')];
    await seedStock(db, { [a]: 5, [b]: 3 });
    const mark = await outboxMark(db);
    const requests = [
      orderRequested([[a, 2]]), // reserved: a 3 left
      orderRequested([
        [a, 2],
        [b, 4],
      ]), // rejected (b short): nothing taken
      orderRequested([
        [b, 3],
        [a, 3],
      ]), // reserved: a 0, b 0 left
      orderRequested([[a, 1]]), // rejected: a sold out
    ];
    const outcomes = await deliver(
      context,
      'order-requested',
      requests.map((r) => message('order-requested', r)),
    );
    expect(outcomes).toEqual(requests.map(() => ({ status: 'ack' })));
    expect(await stockOf(db, a)).toEqual({ available: 0, reserved: 5, version: 2 });
    expect(await stockOf(db, b)).toEqual({ available: 0, reserved: 3, version: 2 });
    const statuses = await Promise.all(requests.map(async (r) => (await reservationFor(db, r.request_id))?.status));
    expect(statuses).toEqual(['reserved', 'rejected', 'reserved', 'rejected']);

    const events = await outbox(db, mark);
    expect(events.map((e) => [e.topic, e.payload['request_id'] ?? e.payload['sku']])).toEqual([
      ['stock-available', requests[0]!.request_id],
      ['stock.rejected', requests[1]!.request_id],
      ['stock-available', requests[2]!.request_id],
      ['stock.rejected', requests[3]!.request_id],
      ...[a, b].sort().map((sku) => ['stock.changed', sku]),
    ]);
    expect(events[1]!.payload).toMatchObject({ reason: 'insufficient_stock', details: [{ product_sku: b, requested: 4, available: 3 }] });
    expect(events[3]!.payload).toMatchObject({ reason: 'insufficient_stock', details: [{ product_sku: a, requested: 1, available: 0 }] });
  });

  it('reserves a request_id repeated within one batch (two event ids) once, and answers both alike', async () => {
    const sku = uniqueSku('TWICE');
    const short = uniqueSku('SHORT');
    await seedStock(db, { [sku]: 10, [short]: 0 });
    const request = orderRequested([[sku, 4]]);
    const refused = orderRequested([[short, 1]]);
    const mark = await outboxMark(db);
    const batch = [request, refused, request, refused].map((r) => message('order-requested', r));
    await deliver(context, 'order-requested', batch);
    expect(await stockOf(db, sku)).toMatchObject({ available: 6, reserved: 4 });
    const events = await outbox(db, mark);
    expect(events.map((e) => e.topic)).toEqual(['stock-available', 'stock.rejected', 'stock-available', 'stock.rejected', 'stock.changed']);
    expect(events[2]!.payload).toEqual(events[0]!.payload);
    expect(events[3]!.payload).toEqual(events[1]!.payload);
  });

  it('handles the same message twice within one batch once, and a batch of repeats not at all', async () => {
    const sku = uniqueSku('SAME');
    await seedStock(db, { [sku]: 10 });
    const delivery = message('order-requested', orderRequested([[sku, 1]]));
    expect(await deliver(context, 'order-requested', [delivery, delivery])).toEqual([{ status: 'ack' }, { status: 'ack', duplicate: true }]);
    expect(await deliver(context, 'order-requested', [delivery, delivery])).toEqual([
      { status: 'ack', duplicate: true },
      { status: 'ack', duplicate: true },
    ]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 9, reserved: 1 });
  });

  it('dead-letters an invalid message of a batch and reserves for the others', async () => {
    const sku = uniqueSku('MIX');
    await seedStock(db, { [sku]: 10 });
    const good = [message('order-requested', orderRequested([[sku, 1]])), message('order-requested', orderRequested([[sku, 2]]))];
    const bad = { ...good[0]!, attributes: { ...good[0]!.attributes, event_id: randomUUID() }, data: '{"request_id": 42}' };
    expect(await deliver(context, 'order-requested', [good[0]!, bad, good[1]!])).toEqual([
      { status: 'ack' },
      { status: 'dead-letter', reason: 'invalid_payload' },
      { status: 'ack' },
    ]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 7, reserved: 3, version: 2 });
  });
});

describe('reserveStock', () => {
  /** A transaction client that counts the statements sent through it. */
  function counting(tx: Tx): { tx: Tx; statements: () => number } {
    let statements = 0;
    const proxy = new Proxy(tx, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if ((property === '$queryRawUnsafe' || property === '$executeRawUnsafe') && typeof value === 'function') {
          return (...args: unknown[]) => {
            statements++;
            return Reflect.apply(value, target, args);
          };
        }
        return value;
      },
    });
    return { tx: proxy, statements: () => statements };
  }

  async function statementsFor(size: number): Promise<number> {
    const [a, b] = [uniqueSku('A'), uniqueSku('B')];
    await seedStock(db, { [a]: 1000, [b]: 1000 });
    const requests = Array.from({ length: size }, (_, i) => {
      const request = orderRequested(i % 2 ? [[a, 1]] : [[a, 1], [b, 2]]);
      return { request, correlationId: request.cart_id! };
    });
    return db.prisma.$transaction(async (tx) => {
      const counted = counting(tx);
      const outcomes = await reserveStock(counted.tx, requests, TTL_SECONDS);
      expect(outcomes.every((o) => o.status === 'reserved')).toBe(true);
      return counted.statements();
    });
  }

  it('costs the same few statements for a batch of 50 as for one request (the flash-sale path)', async () => {
    const one = await statementsFor(1);
    expect(one).toBeLessThanOrEqual(7);
    expect(await statementsFor(50)).toBe(one);
  });
});
