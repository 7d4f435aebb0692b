import { describe, expect, it } from 'vitest';
import { expectJson, JOHN, asCustomer, post, useSystem, stockedProduct } from './system-kit';

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
    const accepted = await expectJson<{ request_id: string; status: string }>(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JOHN))), 202);
    expect(accepted.status).toBe('pending');
    await system.quiesce();
    const cart = await expectJson<{ status: string; order_id: string }>(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200);
    expect(cart.status).toBe('ordered');
    const order = await expectJson(system.request('order', `/orders/${cart.order_id}`, { headers: asCustomer(JOHN) }), 200);
    expect(order).toMatchObject({ status: 'confirmed', total_cents: 3000, items: [expect.objectContaining({ product_sku: 'SYS-TEE', quantity: 2 })] });
    const stock = await expectJson(system.request('inventory', '/inventory/SYS-TEE', { headers: { Authorization: 'Bearer local-support-token' } }), 200);
    expect(stock).toMatchObject({ available: 3, reserved: 0 });
  });
});
