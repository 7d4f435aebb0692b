import { describe, expect, it } from 'vitest';
import { SUPPORT } from './system';
import { expectJson, JANE, JOHN, asCustomer, post, useSystem, stockedProduct } from './system-kit';

const system = await useSystem();

describe('checkout through the whole system', () => {
  it('knows the seeded catalog and customers through their events', async () => {
    const products = await expectJson<{ items: { sku: string; available: number | null }[] }>(system.request('product', '/products?limit=200'), 200);
    expect(products.items.find((p) => p.sku === 'LIMITED-SNEAKER')).toMatchObject({ available: 10 });
    const cart = await expectJson(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200);
    expect(cart).toMatchObject({ status: 'open', items: [] });
  });

  it('turns a cart into a confirmed order, and the cart follows', async () => {
    await stockedProduct(system, 'SYS-TEE', 5, 1500);
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'SYS-TEE', quantity: 2 }, asCustomer(JOHN))), 200);
    const res = await system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JOHN)));
    const accepted = await expectJson<{ cart_id: string; request_id: string; status: string }>(res, 202);
    expect(accepted).toEqual({ cart_id: expect.any(String), request_id: expect.any(String), status: 'pending' });
    expect(res.headers.get('Location')).toBe('/cart');
    await system.quiesce();
    const cart = await expectJson<{ cart_id: string; status: string; order_id: string }>(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200);
    expect(cart).toMatchObject({ cart_id: accepted.cart_id, status: 'ordered', cart_locked: true, rejection: null });
    const order = await expectJson(system.request('order', `/orders/${cart.order_id}`, { headers: asCustomer(JOHN) }), 200);
    expect(order).toMatchObject({ status: 'confirmed', total_cents: 3000, items: [expect.objectContaining({ product_sku: 'SYS-TEE', quantity: 2 })] });
    const stock = await expectJson(system.request('inventory', '/inventory/SYS-TEE', { headers: { Authorization: 'Bearer local-support-token' } }), 200);
    expect(stock).toMatchObject({ available: 3, reserved: 0 });
  });

  it('turns a buy-now request into a confirmed order, followed at its Location', async () => {
    await stockedProduct(system, 'SYS-MUG', 4, 900);
    const res = await system.request('order', '/orders', post({ items: [{ product_sku: 'SYS-MUG', quantity: 3 }] }, asCustomer(JANE)));
    const accepted = await expectJson<{ request_id: string; status: string }>(res, 202);
    expect(accepted).toEqual({ request_id: expect.any(String), status: 'pending' });
    expect(res.headers.get('Location')).toBe(`/orders/requests/${accepted.request_id}`);
    await system.quiesce();
    const request = await expectJson<{ status: string; order_id: string }>(system.request('order', res.headers.get('Location')!, { headers: asCustomer(JANE) }), 200);
    expect(request).toMatchObject({ request_id: accepted.request_id, customer_id: JANE, status: 'confirmed', order_id: expect.any(String), rejection: null });
    const order = await expectJson(system.request('order', `/orders/${request.order_id}`, { headers: asCustomer(JANE) }), 200);
    expect(order).toMatchObject({
      request_id: accepted.request_id,
      customer_id: JANE,
      cart_id: null,
      status: 'confirmed',
      total_cents: 2700,
      currency: 'EUR',
      items: [{ product_sku: 'SYS-MUG', name: 'Product SYS-MUG', quantity: 3, unit_price_cents: 900 }],
    });
    expect(await expectJson(system.request('inventory', '/inventory/SYS-MUG', { headers: SUPPORT }), 200)).toMatchObject({ available: 1, reserved: 0 });
    const notices = await expectJson<{ items: { type: string; order_id: string }[] }>(
      system.request('notification', `/notifications?customer_id=${JANE}&type=order_confirmed`, { headers: SUPPORT }),
      200,
    );
    expect(notices.items.filter((n) => n.order_id === request.order_id)).not.toHaveLength(0);
  });
});
