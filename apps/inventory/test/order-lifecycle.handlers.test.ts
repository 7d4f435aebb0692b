import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import {
  deliver,
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
  db = await useTestDatabase();
  context = inventoryContext(db);
});

/** Stocks fresh SKUs and reserves `lines` of them; returns the request and its reservation id. */
async function reserved(levels: Record<string, number>, lines: Line[]): Promise<{ request: PayloadOf<'order-requested'>; reservationId: string }> {
  await seedStock(db, levels);
  const request = orderRequested(lines);
  await deliver(context, 'order-requested', [message('order-requested', request)]);
  const reservation = await reservationFor(db, request.request_id);
  expect(reservation?.status).toBe('reserved');
  return { request, reservationId: reservation!.reservation_id };
}

const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

describe('order.created handler', () => {
  it('commits the reservation: reserved units become sold, available stays, nothing is published', async () => {
    const sku = fresh('C');
    const { request, reservationId } = await reserved({ [sku]: 10 }, [[sku, 3]]);
    const mark = await outboxMark(db);
    const created = orderCreated(request, reservationId);
    expect(await deliver(context, 'order.created', [message('order.created', created)])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, sku)).toEqual({ available: 7, reserved: 0, version: 2 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'committed', order_id: created.order_id });
    expect(await outbox(db, mark)).toEqual([]);
  });

  it('has one effect when delivered twice, and changes nothing for a second event of the same order', async () => {
    const sku = fresh('C2');
    const { request, reservationId } = await reserved({ [sku]: 10 }, [[sku, 3]]);
    const created = orderCreated(request, reservationId);
    const delivery = message('order.created', created);
    expect(await deliver(context, 'order.created', [delivery])).toEqual([{ status: 'ack' }]);
    expect(await deliver(context, 'order.created', [delivery])).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await deliver(context, 'order.created', [message('order.created', created)])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, sku)).toEqual({ available: 7, reserved: 0, version: 2 });
  });

  it('acknowledges an order.created for an unknown reservation without effect', async () => {
    const sku = fresh('C3');
    const { request } = await reserved({ [sku]: 10 }, [[sku, 3]]);
    expect(await deliver(context, 'order.created', [message('order.created', orderCreated(request, randomUUID()))])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 7, reserved: 3 });
  });

  it('dead-letters an invalid payload at once', async () => {
    const sku = fresh('C4');
    const { request, reservationId } = await reserved({ [sku]: 10 }, [[sku, 3]]);
    const valid = message('order.created', orderCreated(request, reservationId));
    const invalid = { ...valid, data: JSON.stringify({ ...JSON.parse(valid.data as string), status: 'cancelled' }) };
    expect(await deliver(context, 'order.created', [invalid])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'reserved' });
  });
});

describe('order.cancelled handler', () => {
  it('returns a committed reservation’s units once and publishes stock.changed', async () => {
    const [a, b] = [fresh('A'), fresh('B')];
    const { request, reservationId } = await reserved({ [a]: 10, [b]: 4 }, [
      [a, 3],
      [b, 4],
    ]);
    const created = orderCreated(request, reservationId);
    await deliver(context, 'order.created', [message('order.created', created)]);
    const mark = await outboxMark(db);
    const cancel = message('order.cancelled', orderCancelled(request, reservationId, created.order_id));
    expect(await deliver(context, 'order.cancelled', [cancel])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, a)).toEqual({ available: 10, reserved: 0, version: 3 });
    expect(await stockOf(db, b)).toEqual({ available: 4, reserved: 0, version: 3 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'released', order_id: created.order_id });
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload]).sort()).toEqual(
      [
        ['stock.changed', { sku: a, available: 10, version: 3 }],
        ['stock.changed', { sku: b, available: 4, version: 3 }],
      ].sort(),
    );
  });

  it('has one effect when the same message is delivered twice', async () => {
    const sku = fresh('D');
    const { request, reservationId } = await reserved({ [sku]: 10 }, [[sku, 3]]);
    const created = orderCreated(request, reservationId);
    await deliver(context, 'order.created', [message('order.created', created)]);
    const cancel = message('order.cancelled', orderCancelled(request, reservationId, created.order_id));
    expect(await deliver(context, 'order.cancelled', [cancel])).toEqual([{ status: 'ack' }]);
    expect(await deliver(context, 'order.cancelled', [cancel])).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await stockOf(db, sku)).toEqual({ available: 10, reserved: 0, version: 3 });
  });

  it('returns stock once for a second order.cancelled of the same order with another event id', async () => {
    const sku = fresh('E');
    const { request, reservationId } = await reserved({ [sku]: 10 }, [[sku, 3]]);
    const created = orderCreated(request, reservationId);
    await deliver(context, 'order.created', [message('order.created', created)]);
    const payload = orderCancelled(request, reservationId, created.order_id);
    await deliver(context, 'order.cancelled', [message('order.cancelled', payload)]);
    const mark = await outboxMark(db);
    expect(await deliver(context, 'order.cancelled', [message('order.cancelled', payload)])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, sku)).toEqual({ available: 10, reserved: 0, version: 3 });
    expect(await outbox(db, mark)).toEqual([]);
  });

  it('handles order.cancelled before order.created: stock back once, reserved cleared, and the late order.created changes nothing', async () => {
    const sku = fresh('F');
    const { request, reservationId } = await reserved({ [sku]: 10 }, [[sku, 3]]);
    const orderId = randomUUID();
    await deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, reservationId, orderId))]);
    expect(await stockOf(db, sku)).toEqual({ available: 10, reserved: 0, version: 3 });
    const mark = await outboxMark(db);
    expect(await deliver(context, 'order.created', [message('order.created', orderCreated(request, reservationId, orderId))])).toEqual([{ status: 'ack' }]);
    expect(await stockOf(db, sku)).toEqual({ available: 10, reserved: 0, version: 3 });
    expect(await reservationFor(db, request.request_id)).toMatchObject({ status: 'released', order_id: orderId });
    expect(await outbox(db, mark)).toEqual([]);
  });

  it('releases a reservation whose order.created never comes', async () => {
    const sku = fresh('G');
    const { request, reservationId } = await reserved({ [sku]: 5 }, [[sku, 5]]);
    await deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, reservationId, randomUUID()))]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 5, reserved: 0 });
  });

  it('acknowledges an order.cancelled for an unknown reservation without effect', async () => {
    const sku = fresh('H');
    const { request } = await reserved({ [sku]: 5 }, [[sku, 2]]);
    expect(await deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, randomUUID(), randomUUID()))])).toEqual([
      { status: 'ack' },
    ]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 3, reserved: 2 });
  });

  it('skips a SKU whose stock record was deleted meanwhile and returns the others', async () => {
    const [kept, gone] = [fresh('KEPT'), fresh('GONE')];
    const { request, reservationId } = await reserved({ [kept]: 5, [gone]: 5 }, [
      [kept, 1],
      [gone, 1],
    ]);
    const created = orderCreated(request, reservationId);
    await deliver(context, 'order.created', [message('order.created', created)]);
    await db.pool.query('DELETE FROM inventory.stock WHERE sku = $1', [gone]);
    await deliver(context, 'order.cancelled', [message('order.cancelled', orderCancelled(request, reservationId, created.order_id))]);
    expect(await stockOf(db, kept)).toMatchObject({ available: 5 });
    expect(await stockOf(db, gone)).toBeUndefined();
  });

  it('dead-letters an invalid payload at once', async () => {
    const sku = fresh('I');
    const { request, reservationId } = await reserved({ [sku]: 5 }, [[sku, 2]]);
    const valid = message('order.cancelled', orderCancelled(request, reservationId, randomUUID()));
    const invalid = { ...valid, data: JSON.stringify({ ...JSON.parse(valid.data as string), reservation_id: 'not-a-uuid' }) };
    expect(await deliver(context, 'order.cancelled', [invalid])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await stockOf(db, sku)).toMatchObject({ available: 3, reserved: 2 });
  });
});

describe('catalog handlers', () => {
  const upserted = (sku: string, active: boolean) =>
    ({ sku, name: 'Thing', description: '', price_cents: 100, currency: 'EUR', active }) satisfies PayloadOf<'product.upserted'>;

  async function entry(sku: string) {
    const { rows } = await db.pool.query('SELECT active, deleted FROM inventory.catalog WHERE sku = $1', [sku]);
    return rows[0] as { active: boolean; deleted: boolean } | undefined;
  }

  it('keeps the catalog read model: upserted, deactivated, deleted, upserted again', async () => {
    const sku = fresh('CAT');
    await deliver(context, 'product.upserted', [message('product.upserted', upserted(sku, true))]);
    expect(await entry(sku)).toEqual({ active: true, deleted: false });
    await deliver(context, 'product.upserted', [message('product.upserted', upserted(sku, false))]);
    expect(await entry(sku)).toEqual({ active: false, deleted: false });
    await deliver(context, 'product.deleted', [message('product.deleted', { sku })]);
    expect(await entry(sku)).toEqual({ active: false, deleted: true });
    await deliver(context, 'product.upserted', [message('product.upserted', upserted(sku, true))]);
    expect(await entry(sku)).toEqual({ active: true, deleted: false });
  });

  it('ignores a product.upserted older than the product.deleted already recorded', async () => {
    const sku = fresh('OLD');
    const now = Date.now();
    await deliver(context, 'product.deleted', [message('product.deleted', { sku }, { occurredAt: new Date(now).toISOString() })]);
    await deliver(context, 'product.upserted', [message('product.upserted', upserted(sku, true), { occurredAt: new Date(now - 1000).toISOString() })]);
    expect(await entry(sku)).toEqual({ active: false, deleted: true });
  });

  it('has one effect per message delivered twice', async () => {
    const sku = fresh('TWICE');
    const delivery = message('product.deleted', { sku });
    expect(await deliver(context, 'product.deleted', [delivery])).toEqual([{ status: 'ack' }]);
    expect(await deliver(context, 'product.deleted', [delivery])).toEqual([{ status: 'ack', duplicate: true }]);
    const up = message('product.upserted', upserted(fresh('UP'), true));
    expect(await deliver(context, 'product.upserted', [up])).toEqual([{ status: 'ack' }]);
    expect(await deliver(context, 'product.upserted', [up])).toEqual([{ status: 'ack', duplicate: true }]);
  });

  it('dead-letters invalid catalog payloads at once', async () => {
    const sku = fresh('BAD');
    const up = message('product.upserted', upserted(sku, true));
    expect(await deliver(context, 'product.upserted', [{ ...up, data: JSON.stringify({ ...upserted(sku, true), price_cents: -5 }) }])).toEqual([
      { status: 'dead-letter', reason: 'invalid_payload' },
    ]);
    const del = message('product.deleted', { sku });
    expect(await deliver(context, 'product.deleted', [{ ...del, data: '{"sku": ""}' }])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await entry(sku)).toBeUndefined();
  });
});

describe('inventory handlers', () => {
  it('cover every topic the topology routes to inventory', () => {
    expect(context.events.unhandledTopics()).toEqual([]);
  });
});
