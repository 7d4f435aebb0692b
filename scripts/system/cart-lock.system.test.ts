import { afterAll, describe, expect, it } from 'vitest';
import { asCustomer, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';
import { cartOf, expectProblem, holdStock, openCartStream, outboxEvents, stockOf, type Cart, type Order } from './scenario-kit';

const ROBERT = '550e8400-e29b-41d4-a716-446655440002';

const system = await useSystem();
const urls = await system.listen();

const addItem = (customerId: string, sku: string, quantity: number, headers: Record<string, string> = {}) =>
  system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, { ...asCustomer(customerId), ...headers }));
const checkOut = (customerId: string, headers: Record<string, string> = {}) =>
  system.request('cart', '/cart/convert-to-order', post({}, { ...asCustomer(customerId), ...headers }));

describe('a pending (locked) cart', () => {
  it('refuses every edit and another checkout with a 409 problem document, and nothing changes', async () => {
    await stockedProduct(system, 'LOCK-TEE', 5, 1000);
    await stockedProduct(system, 'LOCK-MUG', 5, 400);
    await expectJson(addItem(JOHN, 'LOCK-TEE', 2), 200);
    // Inventory cannot reserve while the stock row is held: the cart stays pending until the test lets go.
    const held = await holdStock(system, ['LOCK-TEE']);
    const accepted = await expectJson<{ cart_id: string; request_id: string }>(checkOut(JOHN), 202);
    const pending = await cartOf(system, JOHN);
    expect(pending).toMatchObject({ cart_id: accepted.cart_id, status: 'pending', cart_locked: true, rejection: null });

    await expectProblem(addItem(JOHN, 'LOCK-TEE', 1), 409);
    await expectProblem(addItem(JOHN, 'LOCK-MUG', 1), 409);
    await expectProblem(system.request('cart', '/cart/items/LOCK-TEE', { method: 'DELETE', headers: asCustomer(JOHN) }), 409);
    await expectProblem(checkOut(JOHN), 409);
    await expectProblem(checkOut(JOHN, { 'Idempotency-Key': 'lock-second-checkout' }), 409);

    expect(await cartOf(system, JOHN)).toEqual(pending);
    expect(await outboxEvents(system, 'cart', 'order-requested', (p) => p.cart_id === accepted.cart_id)).toHaveLength(1);

    await held.release();
    await system.quiesce();
    const ordered = await cartOf(system, JOHN);
    expect(ordered).toMatchObject({ status: 'ordered', items: pending.items, total_cents: 2000 });
    const order = await expectJson<Order>(system.request('order', `/orders/${ordered.order_id}`, { headers: asCustomer(JOHN) }), 200);
    expect(order.items).toEqual([expect.objectContaining({ product_sku: 'LOCK-TEE', quantity: 2 })]);
    expect(await stockOf(system, 'LOCK-TEE')).toMatchObject({ available: 3, reserved: 0 });
    expect(await stockOf(system, 'LOCK-MUG')).toMatchObject({ available: 5, reserved: 0 });
  });

  it('replays the 202 of a checkout repeated with its Idempotency-Key instead of refusing it', async () => {
    await expectJson(addItem(ROBERT, 'LOCK-MUG', 1), 200);
    const held = await holdStock(system, ['LOCK-MUG']);
    const first = await expectJson(checkOut(ROBERT, { 'Idempotency-Key': 'lock-replay' }), 202);
    expect(await expectJson(checkOut(ROBERT, { 'Idempotency-Key': 'lock-replay' }), 202)).toEqual(first);
    await held.release();
    await system.quiesce();
    expect(await cartOf(system, ROBERT)).toMatchObject({ status: 'ordered' });
    expect(await stockOf(system, 'LOCK-MUG')).toMatchObject({ available: 4, reserved: 0 });
  });
});

describe('GET /cart/events', () => {
  const streams: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const stream of streams) await stream.close();
  });

  it('streams the cart at once, then pending, then ordered, over a real socket', async () => {
    await stockedProduct(system, 'LOCK-CAP', 5, 700);
    await expectJson(addItem(JANE, 'LOCK-CAP', 1), 200);
    const stream = await openCartStream(urls.cart, JANE);
    streams.push(stream);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('Content-Type')).toContain('text/event-stream');
    const first = await stream.until(() => true);
    expect(first).toMatchObject({ status: 'open', cart_locked: false, items: [expect.objectContaining({ product_sku: 'LOCK-CAP', quantity: 1 })] });

    const held = await holdStock(system, ['LOCK-CAP']);
    await expectJson(checkOut(JANE), 202);
    expect(await stream.until((c) => c.status !== 'open')).toMatchObject({ status: 'pending', cart_locked: true });
    await held.release();
    const ordered = await stream.until((c) => c.status !== 'pending');
    expect(ordered).toMatchObject({ status: 'ordered', cart_locked: true, order_id: expect.any(String) });
    await system.quiesce();
    expect(ordered).toEqual(await cartOf(system, JANE));

    expect(stream.received.map((e) => e.cart.status)).toEqual(['open', 'pending', 'ordered']);
    expect(stream.received.map((e) => Number(e.id))).toEqual([1, 2, 3]);
  });

  it('streams a rejection and the edit that reopens the cart', async () => {
    const stream = await openCartStream(urls.cart, JANE);
    streams.push(stream);
    // After an order the stream shows that cart until the next add starts a new one.
    expect(await stream.until(() => true)).toMatchObject({ status: 'ordered' });
    const started = await expectJson<Cart>(addItem(JANE, 'LOCK-CAP', 9), 200);
    expect(await stream.until((c) => c.cart_id === started.cart_id)).toMatchObject({ status: 'open', items: [expect.objectContaining({ quantity: 9 })] });

    const held = await holdStock(system, ['LOCK-CAP']);
    await expectJson(checkOut(JANE), 202);
    expect(await stream.until((c) => c.status !== 'open')).toMatchObject({ status: 'pending' });
    await held.release();
    const rejected = await stream.until((c) => c.status !== 'pending');
    expect(rejected).toMatchObject({
      status: 'stock-unavailable',
      cart_locked: false,
      rejection: { reason: 'insufficient_stock', details: [{ product_sku: 'LOCK-CAP', requested: 9, available: 4 }] },
    });

    await expectJson(system.request('cart', '/cart/items/LOCK-CAP', { method: 'DELETE', headers: asCustomer(JANE) }), 200);
    expect(await stream.until((c) => c.status !== 'stock-unavailable')).toMatchObject({ status: 'open', rejection: null, items: [] });
    expect(stream.received.map((e) => e.cart.status)).toEqual(['ordered', 'open', 'pending', 'stock-unavailable', 'open']);
  });

  it('shows a customer only their own cart', async () => {
    const stream = await openCartStream(urls.cart, ROBERT);
    streams.push(stream);
    const own = await stream.until(() => true);
    expect(own.customer_id).toBe(ROBERT);
    await expectJson(addItem(JANE, 'LOCK-CAP', 1), 200);
    await expectJson(addItem(ROBERT, 'LOCK-TEE', 1), 200);
    const next = await stream.until((c) => c !== own);
    expect(next).toMatchObject({ customer_id: ROBERT, items: [expect.objectContaining({ product_sku: 'LOCK-TEE' })] });
    expect(stream.received.every((e) => e.cart.customer_id === ROBERT)).toBe(true);
  });
});
