// Invariants 3 and 6 over the real transport: a message delivered again (by the consumer's seam, by the relay
// republishing it, twice at the same moment, or under a new event id) has one effect; and the reorderings
// DESIGN.md allows (topics are separate queues, so order.created and order.cancelled may cross) end in the
// same state as the natural order.
import { describe, expect, it } from 'vitest';
import { ADMIN, SUPPORT } from './system';
import { asCustomer, eventually, expectJson, JANE, JOHN, post, put, stockedProduct, useSystem } from './system-kit';
import {
  cartOf,
  deliverTo,
  deliverToSubscribers,
  holdStock,
  outboxEvents,
  processedCount,
  republish,
  reservationOf,
  stockOf,
  theEvent,
  transportDeliveries,
  useRelayControl,
  withNewEventId,
  type BuyNowRequest,
  type Order,
} from './scenario-kit';

const ROBERT = '550e8400-e29b-41d4-a716-446655440002';
const EMILY = '550e8400-e29b-41d4-a716-446655440003';

const system = await useSystem();
const relays = useRelayControl(system);

const DUPLICATE = { status: 'ack', duplicate: true };

async function checkOut(customerId: string, sku: string, quantity: number): Promise<{ cart_id: string; request_id: string }> {
  await expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(customerId))), 200);
  return expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customerId))), 202);
}

async function ordersOfRequest(requestId: string): Promise<number> {
  const { rows } = await system.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM "order".orders WHERE request_id = $1::uuid', [requestId]);
  return rows[0]!.n;
}

async function notificationsOfOrder(customerId: string, orderId: string): Promise<{ type: string; channel: string }[]> {
  const page = await expectJson<{ items: { type: string; channel: string; order_id: string | null }[] }>(
    system.request('notification', `/notifications?customer_id=${customerId}&limit=200`, { headers: SUPPORT }),
    200,
  );
  return page.items.filter((n) => n.order_id === orderId).map(({ type, channel }) => ({ type, channel }));
}

/** How many different payloads: a question asked again is answered with the same event again, under a new event id. */
const distinct = (events: { payload: unknown }[]) => new Set(events.map((e) => JSON.stringify(e.payload))).size;

/** Everything one checkout left behind, to compare before and after a redelivery. */
async function footprint(customerId: string, sku: string, requestId: string, orderId: string) {
  return {
    stock: await stockOf(system, sku),
    reservation: await reservationOf(system, requestId),
    orders: await ordersOfRequest(requestId),
    order: await expectJson(system.request('order', `/orders/${orderId}`, { headers: SUPPORT }), 200),
    cart: await cartOf(system, customerId),
    notifications: await notificationsOfOrder(customerId, orderId),
    stockEvents: (await outboxEvents(system, 'inventory', 'stock.changed', (p) => p.sku === sku)).length,
    outcomes: distinct(await outboxEvents(system, 'inventory', 'stock-available', (p) => p.request_id === requestId)),
    created: distinct(await outboxEvents(system, 'order', 'order.created', (p) => p.request_id === requestId)),
    cancelled: (await outboxEvents(system, 'order', 'order.cancelled', (p) => p.order_id === orderId)).length,
  };
}

describe('a message delivered more than once', () => {
  let checkout: { cart_id: string; request_id: string };
  let orderId: string;

  it('has one effect for every step of a checkout (order-requested, stock-available, order.created)', async () => {
    await stockedProduct(system, 'EVT-TEE', 5, 1000);
    checkout = await checkOut(JOHN, 'EVT-TEE', 2);
    await system.quiesce();
    orderId = (await cartOf(system, JOHN)).order_id!;
    const before = await footprint(JOHN, 'EVT-TEE', checkout.request_id, orderId);
    expect(before).toMatchObject({ stock: { available: 3, reserved: 0 }, reservation: { status: 'committed' }, orders: 1, cart: { status: 'ordered' } });

    const requested = await theEvent(system, 'cart', 'order-requested', (p) => p.request_id === checkout.request_id);
    const available = await theEvent(system, 'inventory', 'stock-available', (p) => p.request_id === checkout.request_id);
    const created = await theEvent(system, 'order', 'order.created', (p) => p.request_id === checkout.request_id);

    expect(await deliverTo(system, 'inventory', requested)).toEqual([DUPLICATE]);
    // Two copies in one batch of the batching subscription: both found already handled.
    expect(await deliverTo(system, 'inventory', requested, 2)).toEqual([DUPLICATE, DUPLICATE]);
    expect(await deliverTo(system, 'order', available)).toEqual([DUPLICATE]);
    expect(await deliverToSubscribers(system, created)).toEqual({ inventory: [DUPLICATE], notification: [DUPLICATE], cart: [DUPLICATE] });

    // A producer that published twice (another event id, the same request): the domain's own guards hold, and
    // inventory and order answer the repeated question with their first answer again.
    expect(await deliverTo(system, 'inventory', withNewEventId(requested))).toEqual([{ status: 'ack' }]);
    expect(await deliverTo(system, 'order', withNewEventId(available))).toEqual([{ status: 'ack' }]);
    expect(await deliverTo(system, 'inventory', withNewEventId(created))).toEqual([{ status: 'ack' }]);
    expect(await deliverTo(system, 'cart', withNewEventId(created))).toEqual([{ status: 'ack' }]);

    // The relay publishing them again, through pg-boss, to every subscriber.
    for (const [producer, event] of [['cart', requested], ['inventory', available], ['order', created]] as const) await republish(system, producer, event.eventId);
    await system.quiesce();

    expect(await footprint(JOHN, 'EVT-TEE', checkout.request_id, orderId)).toEqual(before);
    expect(await processedCount(system, 'inventory', 'order-requested', requested.eventId)).toBe(1);
    expect(await processedCount(system, 'order', 'stock-available', available.eventId)).toBe(1);
    expect(await processedCount(system, 'notification', 'order.created', created.eventId)).toBe(1);
    // The transport did deliver each republished message a second time.
    expect(await transportDeliveries(system, 'inventory', 'order-requested', requested.eventId)).toBe(2);
    expect(await transportDeliveries(system, 'order', 'stock-available', available.eventId)).toBe(2);
    expect(await transportDeliveries(system, 'cart', 'order.created', created.eventId)).toBe(2);
  });

  it('returns the stock of a cancelled order once, however often and however order.cancelled arrives', async () => {
    await expectJson(system.request('order', `/orders/${orderId}/cancel`, { method: 'POST', headers: asCustomer(JOHN) }), 200);
    await system.quiesce();
    const before = await footprint(JOHN, 'EVT-TEE', checkout.request_id, orderId);
    expect(before).toMatchObject({ stock: { available: 5, reserved: 0 }, reservation: { status: 'released' }, cancelled: 1 });

    const cancelled = await theEvent(system, 'order', 'order.cancelled', (p) => p.order_id === orderId);
    expect(await deliverToSubscribers(system, cancelled)).toEqual({ inventory: [DUPLICATE], notification: [DUPLICATE], cart: [DUPLICATE] });
    expect(await deliverTo(system, 'inventory', withNewEventId(cancelled))).toEqual([{ status: 'ack' }]);
    // A late order.created (its copy under a new id) must not take the returned units again.
    // The first of the (identical) order.created events the repeats above answered with.
    const [created] = await outboxEvents(system, 'order', 'order.created', (p) => p.order_id === orderId);
    expect(await deliverTo(system, 'inventory', withNewEventId(created!))).toEqual([{ status: 'ack' }]);
    await republish(system, 'order', cancelled.eventId);
    await system.quiesce();

    expect(await transportDeliveries(system, 'inventory', 'order.cancelled', cancelled.eventId)).toBe(2);
    expect(await footprint(JOHN, 'EVT-TEE', checkout.request_id, orderId)).toEqual(before);
  });

  it('is handled once when two deliveries of it run at the same moment', async () => {
    await stockedProduct(system, 'EVT-MUG', 4, 600);
    // The real delivery waits on the held stock row, inside its transaction, while the copies arrive.
    const held = await holdStock(system, ['EVT-MUG']);
    const accepted = await checkOut(JANE, 'EVT-MUG', 3);
    const requested = await theEvent(system, 'cart', 'order-requested', (p) => p.request_id === accepted.request_id);
    const copies = Promise.all([deliverTo(system, 'inventory', requested), deliverTo(system, 'inventory', requested), deliverTo(system, 'inventory', requested, 2)]);
    await held.release();
    const outcomes = (await copies).flat();
    await system.quiesce();

    // The real delivery or one of the copies handled it; every other copy found it handled.
    expect(outcomes.filter((o) => !('duplicate' in o && o.duplicate)).length).toBeLessThanOrEqual(1);
    expect(outcomes.every((o) => o.status === 'ack')).toBe(true);
    expect(await processedCount(system, 'inventory', 'order-requested', requested.eventId)).toBe(1);
    expect(await stockOf(system, 'EVT-MUG')).toMatchObject({ available: 1, reserved: 0 });
    expect(await ordersOfRequest(accepted.request_id)).toBe(1);
    expect(await outboxEvents(system, 'inventory', 'stock-available', (p) => p.request_id === accepted.request_id)).toHaveLength(1);
    expect(await cartOf(system, JANE)).toMatchObject({ status: 'ordered' });
  });

  it('leaves a settled buy-now request and its stock alone when stock.rejected comes again', async () => {
    await stockedProduct(system, 'EVT-CAP', 1, 900);
    const { request_id } = await expectJson<{ request_id: string }>(system.request('order', '/orders', post({ items: [{ product_sku: 'EVT-CAP', quantity: 2 }] }, asCustomer(EMILY))), 202);
    await system.quiesce();
    const read = () => expectJson<BuyNowRequest>(system.request('order', `/orders/requests/${request_id}`, { headers: asCustomer(EMILY) }), 200);
    const settled = await read();
    expect(settled).toMatchObject({ status: 'rejected', rejection: { reason: 'insufficient_stock' } });

    const rejected = await theEvent(system, 'inventory', 'stock.rejected', (p) => p.request_id === request_id);
    // The cart ignores a buy-now's outcome outright (acknowledged, nothing recorded): no duplicate to find there.
    expect(await deliverToSubscribers(system, rejected)).toEqual({ order: [DUPLICATE], notification: [DUPLICATE], cart: [{ status: 'ack' }] });
    expect(await deliverTo(system, 'order', withNewEventId(rejected))).toEqual([{ status: 'ack' }]);
    await republish(system, 'inventory', rejected.eventId);
    await system.quiesce();

    expect(await read()).toEqual(settled);
    expect(await stockOf(system, 'EVT-CAP')).toMatchObject({ available: 1, reserved: 0 });
  });

  it('dead-letters an order-requested whose payload breaks the contract, and changes nothing', async () => {
    const requested = await theEvent(system, 'cart', 'order-requested', (p) => p.request_id === checkout.request_id);
    const broken = withNewEventId({ ...requested, payload: { ...requested.payload, items: [{ product_sku: 'EVT-TEE', quantity: -5, unit_price_cents: 1000 }] } });
    const before = await stockOf(system, 'EVT-TEE');
    expect(await deliverTo(system, 'inventory', broken)).toEqual([{ status: 'dead-letter', reason: expect.any(String) }]);
    expect(await stockOf(system, 'EVT-TEE')).toEqual(before);
    expect(await processedCount(system, 'inventory', 'order-requested', broken.eventId)).toBe(0);
  });
});

describe('events arriving in another order than they were published', () => {
  it('leaves a pending cart pending when the stock.rejected of its earlier attempt comes again', async () => {
    await stockedProduct(system, 'EVT-SOCK', 2, 300);
    const first = await checkOut(ROBERT, 'EVT-SOCK', 3);
    await system.quiesce();
    expect(await cartOf(system, ROBERT)).toMatchObject({ status: 'stock-unavailable' });
    const rejected = await theEvent(system, 'inventory', 'stock.rejected', (p) => p.request_id === first.request_id);

    await expectJson(system.request('cart', '/cart/items/EVT-SOCK', { method: 'DELETE', headers: asCustomer(ROBERT) }), 200);
    const held = await holdStock(system, ['EVT-SOCK']);
    const second = await checkOut(ROBERT, 'EVT-SOCK', 2);
    const pending = await cartOf(system, ROBERT);
    expect(pending).toMatchObject({ status: 'pending' });

    expect(await deliverTo(system, 'cart', rejected)).toEqual([DUPLICATE]);
    expect(await deliverTo(system, 'cart', withNewEventId(rejected))).toEqual([{ status: 'ack' }]);
    expect(await cartOf(system, ROBERT)).toEqual(pending);

    await held.release();
    await system.quiesce();
    expect(await cartOf(system, ROBERT)).toMatchObject({ status: 'ordered', rejection: null });
    expect(await ordersOfRequest(second.request_id)).toBe(1);
    expect(await stockOf(system, 'EVT-SOCK')).toMatchObject({ available: 0, reserved: 0 });
  });

  it('does not roll product availability back when an older stock.changed arrives after a newer one', async () => {
    const changes = await outboxEvents(system, 'inventory', 'stock.changed', (p) => p.sku === 'EVT-TEE');
    expect(changes.length).toBeGreaterThanOrEqual(3);
    const product = () => expectJson<{ available: number | null }>(system.request('product', '/products/EVT-TEE'), 200);
    const latest = await product();
    expect(latest.available).toBe(changes.at(-1)!.payload.available);

    const stale = changes.find((c) => c.payload.available !== latest.available)!;
    expect(await deliverTo(system, 'product', withNewEventId(stale))).toEqual([{ status: 'ack' }]);
    expect(await product()).toEqual(latest);
  });

  it('returns the reserved units when order.cancelled overtakes order.created, and the late order.created takes nothing', async () => {
    await stockedProduct(system, 'EVT-HAT', 4, 2000);
    const paused = await relays.pause('order');
    const accepted = await checkOut(ROBERT, 'EVT-HAT', 3);
    // The order exists, but its order.created waits in the order service's outbox.
    const created = await eventually(
      () => outboxEvents(system, 'order', 'order.created', (p) => p.request_id === accepted.request_id),
      (events) => events.length === 1,
    ).then((events) => events[0]!);
    expect(created.isPublished).toBe(false);
    expect(await stockOf(system, 'EVT-HAT')).toMatchObject({ available: 1, reserved: 3 });
    const orderId = created.payload.order_id;
    await expectJson(system.request('order', `/orders/${orderId}/cancel`, { method: 'POST', headers: asCustomer(ROBERT) }), 200);
    const cancelled = await theEvent(system, 'order', 'order.cancelled', (p) => p.order_id === orderId);

    expect(await deliverToSubscribers(system, cancelled)).toEqual({ inventory: [{ status: 'ack' }], notification: [{ status: 'ack' }], cart: [{ status: 'ack' }] });
    expect(await stockOf(system, 'EVT-HAT')).toMatchObject({ available: 4, reserved: 0 });
    expect(await deliverToSubscribers(system, created)).toEqual({ inventory: [{ status: 'ack' }], notification: [{ status: 'ack' }], cart: [{ status: 'ack' }] });
    // Then the relay comes back and the transport delivers both, in publish order: duplicates by now.
    await paused.resume();
    await system.quiesce();

    expect(await stockOf(system, 'EVT-HAT')).toMatchObject({ available: 4, reserved: 0 });
    expect(await reservationOf(system, accepted.request_id)).toMatchObject({ status: 'released' });
    expect(await expectJson<Order>(system.request('order', `/orders/${orderId}`, { headers: asCustomer(ROBERT) }), 200)).toMatchObject({ status: 'cancelled' });
    expect(await cartOf(system, ROBERT)).toMatchObject({ cart_id: accepted.cart_id, status: 'ordered', order_id: orderId });
    // The customer is told it was cancelled, never that it was confirmed.
    const types = (await notificationsOfOrder(ROBERT, orderId)).map((n) => n.type);
    expect(types).toContain('order_cancelled');
    expect(types).not.toContain('order_confirmed');
    expect(await processedCount(system, 'inventory', 'order.created', created.eventId)).toBe(1);
    expect(await processedCount(system, 'inventory', 'order.cancelled', cancelled.eventId)).toBe(1);
    expect(await transportDeliveries(system, 'inventory', 'order.created', created.eventId)).toBe(1);
  });

  it('keeps a deleted product deleted when product.deleted overtakes the product.upserted published before it', async () => {
    await stockedProduct(system, 'EVT-GONE', 5, 500);
    const paused = await relays.pause('product');
    await expectJson(system.request('product', '/products/EVT-GONE', put({ name: 'Renamed, then deleted' }, ADMIN)), 200);
    await expectJson(system.request('product', '/products/EVT-GONE', { method: 'DELETE', headers: ADMIN }), 204);
    const upserted = (await outboxEvents(system, 'product', 'product.upserted', (p) => p.sku === 'EVT-GONE')).at(-1)!;
    const deleted = await theEvent(system, 'product', 'product.deleted', (p) => p.sku === 'EVT-GONE');
    expect(upserted.isPublished).toBe(false);

    await deliverToSubscribers(system, deleted);
    await deliverToSubscribers(system, upserted);
    await paused.resume();
    await system.quiesce();

    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'EVT-GONE', quantity: 1 }, asCustomer(EMILY))), 422);
    await expectJson(system.request('order', '/orders', post({ items: [{ product_sku: 'EVT-GONE', quantity: 1 }] }, asCustomer(EMILY))), 422);
  });

  it('keeps a product created again after its deletion when the older product.deleted arrives last', async () => {
    await stockedProduct(system, 'EVT-BACK', 5, 500);
    const paused = await relays.pause('product');
    await expectJson(system.request('product', '/products/EVT-BACK', { method: 'DELETE', headers: ADMIN }), 204);
    await expectJson(system.request('product', '/products', post({ sku: 'EVT-BACK', name: 'Back again', price_cents: 650 }, ADMIN)), 201);
    const deleted = await theEvent(system, 'product', 'product.deleted', (p) => p.sku === 'EVT-BACK');
    const upserted = (await outboxEvents(system, 'product', 'product.upserted', (p) => p.sku === 'EVT-BACK')).at(-1)!;
    expect(upserted.payload.name).toBe('Back again');
    expect(deleted.isPublished).toBe(false);

    await deliverToSubscribers(system, upserted);
    await deliverToSubscribers(system, deleted);
    await paused.resume();
    await system.quiesce();

    const cart = await expectJson<{ items: { product_sku: string; name: string; unit_price_cents: number }[] }>(
      system.request('cart', '/cart/items', post({ product_sku: 'EVT-BACK', quantity: 1 }, asCustomer(EMILY))),
      200,
    );
    expect(cart.items).toContainEqual(expect.objectContaining({ product_sku: 'EVT-BACK', name: 'Back again', unit_price_cents: 650 }));
    const { request_id } = await expectJson<{ request_id: string }>(system.request('order', '/orders', post({ items: [{ product_sku: 'EVT-BACK', quantity: 1 }] }, asCustomer(EMILY))), 202);
    await system.quiesce();
    expect(await expectJson(system.request('order', `/orders/requests/${request_id}`, { headers: asCustomer(EMILY) }), 200)).toMatchObject({ status: 'confirmed' });
  });
});
