import { describe, expect, it } from 'vitest';
import { ADMIN, SUPPORT } from './system';
import { asCustomer, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';
import { cartOf, holdStock, orderCount, reservationOf, stockOf, type BuyNowRequest, type Cart } from './scenario-kit';

const ROBERT = '550e8400-e29b-41d4-a716-446655440002';
const EMILY = '550e8400-e29b-41d4-a716-446655440003';

const system = await useSystem();

async function addToCart(customerId: string, sku: string, quantity: number): Promise<Cart> {
  return expectJson<Cart>(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(customerId))), 200);
}

async function checkOut(customerId: string): Promise<{ cart_id: string; request_id: string; status: string }> {
  return expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customerId))), 202);
}

async function notificationsOf(customerId: string, type: string): Promise<{ channel: string; status: string }[]> {
  const page = await expectJson<{ items: { channel: string; status: string }[] }>(
    system.request('notification', `/notifications?customer_id=${customerId}&type=${type}`, { headers: SUPPORT }),
    200,
  );
  return page.items;
}

describe('a checkout inventory cannot serve', () => {
  let firstAttempt: string | undefined;

  it('rejects the whole cart, unlocks it with the shortfall, and leaves stock and orders untouched', async () => {
    await stockedProduct(system, 'REJ-SCARCE', 3, 1000);
    await stockedProduct(system, 'REJ-PLENTY', 10, 500);
    await addToCart(JOHN, 'REJ-SCARCE', 5);
    await addToCart(JOHN, 'REJ-PLENTY', 2);
    const orders = await orderCount(system);

    const accepted = await checkOut(JOHN);
    firstAttempt = accepted.request_id;
    await system.quiesce();

    const cart = await cartOf(system, JOHN);
    expect(cart).toMatchObject({ cart_id: accepted.cart_id, status: 'stock-unavailable', cart_locked: false, order_id: null });
    expect(cart.rejection).toEqual({ reason: 'insufficient_stock', details: [{ product_sku: 'REJ-SCARCE', requested: 5, available: 3 }] });
    // All or nothing: the line that could have been served reserved nothing either.
    expect(await stockOf(system, 'REJ-SCARCE')).toMatchObject({ available: 3, reserved: 0 });
    expect(await stockOf(system, 'REJ-PLENTY')).toMatchObject({ available: 10, reserved: 0 });
    expect(await reservationOf(system, accepted.request_id)).toMatchObject({ status: 'rejected' });
    expect(await orderCount(system)).toBe(orders);
    expect(await notificationsOf(JOHN, 'stock_rejected')).not.toHaveLength(0);
  });

  it('returns the rejected cart to open on the next edit, and a new checkout of it succeeds', async () => {
    const rejected = await cartOf(system, JOHN);
    expect(rejected.status).toBe('stock-unavailable');

    const added = await addToCart(JOHN, 'REJ-PLENTY', 1);
    expect(added).toMatchObject({ cart_id: rejected.cart_id, status: 'open', cart_locked: false, rejection: null });
    await expectJson(system.request('cart', '/cart/items/REJ-SCARCE', { method: 'DELETE', headers: asCustomer(JOHN) }), 200);
    await addToCart(JOHN, 'REJ-SCARCE', 3);

    const again = await checkOut(JOHN);
    // DESIGN.md: a new request_id for every checkout attempt; the first one's rejection stays recorded.
    expect(again.request_id).not.toBe(firstAttempt);
    await system.quiesce();

    const cart = await cartOf(system, JOHN);
    expect(cart).toMatchObject({ cart_id: rejected.cart_id, status: 'ordered', cart_locked: true, rejection: null });
    expect(await reservationOf(system, again.request_id)).toMatchObject({ status: 'committed' });
    expect(await reservationOf(system, firstAttempt!)).toMatchObject({ status: 'rejected' });
    expect(await stockOf(system, 'REJ-SCARCE')).toMatchObject({ available: 0, reserved: 0 });
    expect(await stockOf(system, 'REJ-PLENTY')).toMatchObject({ available: 7, reserved: 0 });
  });

  it('rejects a line whose product was deleted from the catalog as unknown_product, available 0', async () => {
    await stockedProduct(system, 'REJ-GONE', 5);
    await stockedProduct(system, 'REJ-KEPT', 5);
    await addToCart(JANE, 'REJ-GONE', 2);
    await addToCart(JANE, 'REJ-KEPT', 1);
    await expectJson(system.request('product', '/products/REJ-GONE', { method: 'DELETE', headers: ADMIN }), 204);
    await system.quiesce();

    await checkOut(JANE);
    await system.quiesce();

    const cart = await cartOf(system, JANE);
    expect(cart).toMatchObject({ status: 'stock-unavailable', cart_locked: false });
    expect(cart.rejection).toEqual({ reason: 'unknown_product', details: [{ product_sku: 'REJ-GONE', requested: 2, available: 0 }] });
    expect(await stockOf(system, 'REJ-GONE')).toMatchObject({ available: 5, reserved: 0 });
    expect(await stockOf(system, 'REJ-KEPT')).toMatchObject({ available: 5, reserved: 0 });

    // The deleted product can no longer be added, but its line can be removed, and that reopens the cart.
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'REJ-GONE', quantity: 1 }, asCustomer(JANE))), 422);
    const edited = await expectJson<Cart>(system.request('cart', '/cart/items/REJ-GONE', { method: 'DELETE', headers: asCustomer(JANE) }), 200);
    expect(edited).toMatchObject({ status: 'open', cart_locked: false, rejection: null, items: [expect.objectContaining({ product_sku: 'REJ-KEPT' })] });
  });

  it('rejects a line whose SKU has no stock record as unknown_product, available 0', async () => {
    await expectJson(system.request('product', '/products', post({ sku: 'REJ-NO-STOCK', name: 'Never stocked', price_cents: 700 }, ADMIN)), 201);
    await system.quiesce();
    await addToCart(ROBERT, 'REJ-NO-STOCK', 1);

    await checkOut(ROBERT);
    await system.quiesce();

    const cart = await cartOf(system, ROBERT);
    expect(cart).toMatchObject({ status: 'stock-unavailable', cart_locked: false });
    expect(cart.rejection).toEqual({ reason: 'unknown_product', details: [{ product_sku: 'REJ-NO-STOCK', requested: 1, available: 0 }] });
  });
});

describe('a buy-now request inventory cannot serve', () => {
  it('is pending until inventory answers, then rejected with the shortfall at its Location', async () => {
    await stockedProduct(system, 'REJ-BUY', 1, 2500);
    const orders = await orderCount(system);
    const held = await holdStock(system, ['REJ-BUY']);

    const res = await system.request('order', '/orders', post({ items: [{ product_sku: 'REJ-BUY', quantity: 4 }] }, asCustomer(EMILY)));
    const accepted = await expectJson<{ request_id: string; status: string }>(res, 202);
    expect(accepted).toEqual({ request_id: expect.any(String), status: 'pending' });
    const location = res.headers.get('Location');
    expect(location).toBe(`/orders/requests/${accepted.request_id}`);
    const pending = await expectJson<BuyNowRequest>(system.request('order', location!, { headers: asCustomer(EMILY) }), 200);
    expect(pending).toMatchObject({ request_id: accepted.request_id, status: 'pending', order_id: null, rejection: null });

    await held.release();
    await system.quiesce();

    const settled = await expectJson<BuyNowRequest>(system.request('order', location!, { headers: asCustomer(EMILY) }), 200);
    expect(settled).toMatchObject({ status: 'rejected', order_id: null });
    expect(settled.rejection).toEqual({ reason: 'insufficient_stock', details: [{ product_sku: 'REJ-BUY', requested: 4, available: 1 }] });
    expect(await expectJson(system.request('order', location!, { headers: SUPPORT }), 200)).toMatchObject({ status: 'rejected' });
    expect(await stockOf(system, 'REJ-BUY')).toMatchObject({ available: 1, reserved: 0 });
    expect(await orderCount(system)).toBe(orders);
    expect(await notificationsOf(EMILY, 'stock_rejected')).not.toHaveLength(0);
  });

  it('is rejected as unknown_product when the SKU has no stock record', async () => {
    const res = await system.request('order', '/orders', post({ items: [{ product_sku: 'REJ-NO-STOCK', quantity: 2 }] }, asCustomer(EMILY)));
    const { request_id } = await expectJson<{ request_id: string }>(res, 202);
    await system.quiesce();

    const settled = await expectJson<BuyNowRequest>(system.request('order', `/orders/requests/${request_id}`, { headers: asCustomer(EMILY) }), 200);
    expect(settled).toMatchObject({ status: 'rejected', order_id: null });
    expect(settled.rejection).toEqual({ reason: 'unknown_product', details: [{ product_sku: 'REJ-NO-STOCK', requested: 2, available: 0 }] });
  });
});
