import { describe, expect, it } from 'vitest';
import { ADMIN, SUPPORT } from './system';
import { asCustomer, expectJson, JANE, JOHN, post, put, stockedProduct, useSystem } from './system-kit';
import { cartOf, expectProblem, outboxEvents, reservationOf, stockOf, type BuyNowRequest, type Cart, type Order } from './scenario-kit';

const ROBERT = '550e8400-e29b-41d4-a716-446655440002';

const system = await useSystem();

const ADDRESS = { name: 'John Smith', line1: '1 Main Street', line2: null, city: 'Springfield', postal_code: '12345', country: 'US' };

/** Checks out `quantity` of `sku` through the customer's cart and returns the confirmed order. */
async function orderThroughCart(customerId: string, sku: string, quantity: number): Promise<Order> {
  await expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(customerId))), 200);
  await expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customerId))), 202);
  await system.quiesce();
  const cart = await cartOf(system, customerId);
  expect(cart).toMatchObject({ status: 'ordered', order_id: expect.any(String) });
  return expectJson<Order>(system.request('order', `/orders/${cart.order_id}`, { headers: asCustomer(customerId) }), 200);
}

async function buyNow(customerId: string, sku: string, quantity: number): Promise<Order> {
  const { request_id } = await expectJson<{ request_id: string }>(system.request('order', '/orders', post({ items: [{ product_sku: sku, quantity }] }, asCustomer(customerId))), 202);
  await system.quiesce();
  const request = await expectJson<BuyNowRequest>(system.request('order', `/orders/requests/${request_id}`, { headers: asCustomer(customerId) }), 200);
  expect(request).toMatchObject({ status: 'confirmed', order_id: expect.any(String) });
  return expectJson<Order>(system.request('order', `/orders/${request.order_id}`, { headers: asCustomer(customerId) }), 200);
}

const cancelPost = (orderId: string, headers: Record<string, string>) => system.request('order', `/orders/${orderId}/cancel`, { method: 'POST', headers });
const cancelDelete = (orderId: string, headers: Record<string, string>) => system.request('order', `/orders/${orderId}`, { method: 'DELETE', headers });

async function cancellationsOf(orderId: string): Promise<number> {
  return (await outboxEvents(system, 'order', 'order.cancelled', (p) => p.order_id === orderId)).length;
}

describe('cancelling an order', () => {
  it('returns the stock exactly once, however often it is cancelled, and each repeat answers the same', async () => {
    await stockedProduct(system, 'CAN-TEE', 3, 1200);
    const order = await orderThroughCart(JOHN, 'CAN-TEE', 3);
    expect(await stockOf(system, 'CAN-TEE')).toMatchObject({ available: 0, reserved: 0 });
    expect(await reservationOf(system, order.request_id)).toMatchObject({ status: 'committed' });

    const cancelled = await expectJson<Order>(cancelPost(order.order_id, asCustomer(JOHN)), 200);
    expect(cancelled).toMatchObject({ order_id: order.order_id, status: 'cancelled', cancelled_at: expect.any(String) });
    await system.quiesce();
    expect(await stockOf(system, 'CAN-TEE')).toMatchObject({ available: 3, reserved: 0 });
    expect(await reservationOf(system, order.request_id)).toMatchObject({ status: 'released' });

    expect(await expectJson<Order>(cancelPost(order.order_id, asCustomer(JOHN)), 200)).toEqual(cancelled);
    expect((await cancelDelete(order.order_id, asCustomer(JOHN))).status).toBe(204);
    expect(await expectJson<Order>(cancelPost(order.order_id, ADMIN), 200)).toEqual(cancelled);
    await system.quiesce();

    expect(await cancellationsOf(order.order_id)).toBe(1);
    expect(await stockOf(system, 'CAN-TEE')).toMatchObject({ available: 3, reserved: 0 });
    // The returned units sell again, and only those: the fourth unit is not there.
    await orderThroughCart(JANE, 'CAN-TEE', 3);
    expect(await stockOf(system, 'CAN-TEE')).toMatchObject({ available: 0, reserved: 0 });
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'CAN-TEE', quantity: 1 }, asCustomer(JOHN))), 200);
    await expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JOHN))), 202);
    await system.quiesce();
    expect(await cartOf(system, JOHN)).toMatchObject({ status: 'stock-unavailable', rejection: { details: [{ product_sku: 'CAN-TEE', requested: 1, available: 0 }] } });
  });

  it('cancels with DELETE /orders/:id the same way (204), and a later POST cancel answers the cancelled order', async () => {
    await stockedProduct(system, 'CAN-MUG', 5, 800);
    const order = await buyNow(ROBERT, 'CAN-MUG', 2);
    expect(order).toMatchObject({ status: 'confirmed', cart_id: null });
    expect(await stockOf(system, 'CAN-MUG')).toMatchObject({ available: 3, reserved: 0 });

    const res = await cancelDelete(order.order_id, asCustomer(ROBERT));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await cancelDelete(order.order_id, asCustomer(ROBERT))).status).toBe(204);
    await system.quiesce();

    expect(await expectJson<Order>(cancelPost(order.order_id, asCustomer(ROBERT)), 200)).toMatchObject({ status: 'cancelled' });
    expect(await expectJson(system.request('order', `/orders/${order.order_id}`, { headers: SUPPORT }), 200)).toMatchObject({ status: 'cancelled' });
    await system.quiesce();
    expect(await cancellationsOf(order.order_id)).toBe(1);
    expect(await stockOf(system, 'CAN-MUG')).toMatchObject({ available: 5, reserved: 0 });
    expect(await reservationOf(system, order.request_id)).toMatchObject({ status: 'released' });
  });

  it('publishes one order.cancelled of many concurrent cancels, and the stock comes back once', async () => {
    await stockedProduct(system, 'CAN-CAP', 4, 900);
    const order = await buyNow(ROBERT, 'CAN-CAP', 4);

    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? cancelDelete(order.order_id, asCustomer(ROBERT)) : cancelPost(order.order_id, asCustomer(ROBERT)))),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 204, 204, 204, 204]);
    await system.quiesce();

    expect(await cancellationsOf(order.order_id)).toBe(1);
    expect(await stockOf(system, 'CAN-CAP')).toMatchObject({ available: 4, reserved: 0 });
  });

  it('accepts shipping details before the cancel and refuses them with 409 after, changing nothing', async () => {
    await stockedProduct(system, 'CAN-HAT', 2, 1500);
    const order = await orderThroughCart(JANE, 'CAN-HAT', 1);
    const updated = await expectJson<Order>(system.request('order', `/orders/${order.order_id}`, put({ shipping_address: ADDRESS, note: 'leave at the door' }, asCustomer(JANE))), 200);
    expect(updated).toMatchObject({ status: 'confirmed', shipping_address: ADDRESS, note: 'leave at the door' });

    const cancelled = await expectJson<Order>(cancelPost(order.order_id, asCustomer(JANE)), 200);
    await expectProblem(system.request('order', `/orders/${order.order_id}`, put({ note: 'too late' }, asCustomer(JANE))), 409);
    await expectProblem(system.request('order', `/orders/${order.order_id}`, put({ shipping_address: null }, ADMIN)), 409);

    expect(await expectJson<Order>(system.request('order', `/orders/${order.order_id}`, { headers: asCustomer(JANE) }), 200)).toEqual(cancelled);
    expect(cancelled).toMatchObject({ shipping_address: ADDRESS, note: 'leave at the door' });
  });
});

describe('the cart after its order', () => {
  it('stays ordered and locked, refuses edits and checkout with 409, and the next add starts a new cart', async () => {
    await stockedProduct(system, 'CAN-SOCK', 10, 300);
    const order = await orderThroughCart(ROBERT, 'CAN-SOCK', 2);
    const ordered = await cartOf(system, ROBERT);
    expect(ordered).toMatchObject({ status: 'ordered', cart_locked: true, order_id: order.order_id });

    await expectProblem(system.request('cart', '/cart/items/CAN-SOCK', { method: 'DELETE', headers: asCustomer(ROBERT) }), 409);
    await expectProblem(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(ROBERT))), 409);

    // Cancelling the order leaves its cart as it was: one cart, at most one order.
    await expectJson(cancelPost(order.order_id, asCustomer(ROBERT)), 200);
    await system.quiesce();
    expect(await cartOf(system, ROBERT)).toEqual(ordered);

    const next = await expectJson<Cart>(system.request('cart', '/cart/items', post({ product_sku: 'CAN-SOCK', quantity: 1 }, asCustomer(ROBERT))), 200);
    expect(next.cart_id).not.toBe(ordered.cart_id);
    expect(next).toMatchObject({ status: 'open', cart_locked: false, order_id: null, rejection: null, items: [expect.objectContaining({ product_sku: 'CAN-SOCK', quantity: 1 })] });
    expect(await cartOf(system, ROBERT)).toEqual(next);
  });
});
