// A flash sale through the whole system: 300 customers race for 25 units, every request in flight at once on
// real sockets, through the cart and through buy now. Invariant 1 (no oversell) at full contention.
import { describe, expect, it } from 'vitest';
import { ADMIN } from './system';
import { asCustomer, expectJson, post, useSystem } from './system-kit';
import { allOrders, createCustomers, expectNoFailedDeliveries, expectSettled, expectStockLedger, mapLimited, stockOf, type OrderView } from './race-kit';

const CROWD = 300;
const UNITS = 25;
/** Well inside the test's timeout, so a system that never settles fails with what is still pending. */
const QUIET_WITHIN_MS = 30_000;

const system = await useSystem({ logLevel: 'error' });
const urls = await system.listen();
const customers = await createCustomers(system, CROWD);

/** The product on sale, and its stock. */
async function saleProduct(sku: string): Promise<void> {
  await expectJson(system.request('product', '/products', post({ sku, name: `Flash ${sku}`, price_cents: 12_900 }, ADMIN)), 201);
  await expectJson(system.request('inventory', '/inventory', post({ sku, available: UNITS }, ADMIN)), 201);
  await system.quiesce();
}

/** Every request started before any is awaited: all `CROWD` of them in flight at once. */
async function allAtOnce(url: string, init: (customer: string) => RequestInit): Promise<{ status: number; body: Record<string, unknown>; rateLimit: string | null }[]> {
  return Promise.all(
    customers.map(async (customer) => {
      const res = await fetch(url, init(customer));
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, rateLimit: res.headers.get('RateLimit-Limit') };
    }),
  );
}

/** The sale's orders: one per winning customer, one unit each, `UNITS` in all, every one confirmed. */
function expectSoldOut(orders: OrderView[], sku: string): void {
  const ofSale = orders.filter((o) => o.items.some((l) => l.product_sku === sku));
  expect(ofSale).toHaveLength(UNITS);
  expect(ofSale.every((o) => o.status === 'confirmed' && o.items.length === 1)).toBe(true);
  expect(ofSale.reduce((units, o) => units + o.items[0]!.quantity, 0)).toBe(UNITS);
  expect(new Set(ofSale.map((o) => o.customer_id)).size).toBe(UNITS);
}

describe('a flash sale of 25 units to 300 customers at once', () => {
  it('through the cart: exactly 25 orders, 275 carts stock-unavailable, nothing left and nothing negative', { timeout: 90_000 }, async () => {
    const sku = 'FLASH-CART';
    await saleProduct(sku);
    await mapLimited(customers, 50, (customer) => expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity: 1 }, asCustomer(customer))), 200));

    const answers = await allAtOnce(`${urls.cart}/cart/convert-to-order`, (customer) => post({}, asCustomer(customer)));
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    // Every service ran under the default per-customer rate limit, and no customer met it.
    expect(new Set(answers.map((a) => a.rateLimit))).toEqual(new Set(['600']));
    await system.quiesce(QUIET_WITHIN_MS);

    const carts = await mapLimited(customers, 50, (customer) =>
      expectJson<{ status: string; order_id: string | null; rejection: unknown; cart_locked: boolean }>(system.request('cart', '/cart', { headers: asCustomer(customer) }), 200),
    );
    const ordered = carts.filter((c) => c.status === 'ordered');
    const rejected = carts.filter((c) => c.status === 'stock-unavailable');
    expect({ ordered: ordered.length, rejected: rejected.length }).toEqual({ ordered: UNITS, rejected: CROWD - UNITS });
    for (const cart of rejected) {
      expect(cart).toMatchObject({ cart_locked: false, order_id: null, rejection: { reason: 'insufficient_stock', details: [{ product_sku: sku, requested: 1, available: 0 }] } });
    }
    const orders = await allOrders(system);
    expectSoldOut(orders, sku);
    expect(new Set(ordered.map((c) => c.order_id))).toEqual(new Set(orders.filter((o) => o.items[0]!.product_sku === sku).map((o) => o.order_id)));
    expect(await stockOf(system, sku)).toMatchObject({ available: 0, reserved: 0 });
    await expectStockLedger(system, new Map([[sku, UNITS]]));
    await expectSettled(system);
    await expectNoFailedDeliveries(system);
  });

  it('through buy now: exactly 25 requests confirmed, 275 rejected, nothing left and nothing negative', { timeout: 90_000 }, async () => {
    const sku = 'FLASH-BUY';
    await saleProduct(sku);

    const answers = await allAtOnce(`${urls.order}/orders`, (customer) => post({ items: [{ product_sku: sku, quantity: 1 }] }, asCustomer(customer)));
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    expect(new Set(answers.map((a) => a.rateLimit))).toEqual(new Set(['600']));
    await system.quiesce(QUIET_WITHIN_MS);

    const requests = await mapLimited(answers, 50, (a, i) =>
      expectJson<{ status: string; order_id: string | null; rejection: unknown }>(
        system.request('order', `/orders/requests/${String(a.body['request_id'])}`, { headers: asCustomer(customers[i]!) }),
        200,
      ),
    );
    const confirmed = requests.filter((r) => r.status === 'confirmed');
    const rejected = requests.filter((r) => r.status === 'rejected');
    expect({ confirmed: confirmed.length, rejected: rejected.length }).toEqual({ confirmed: UNITS, rejected: CROWD - UNITS });
    for (const request of rejected) {
      expect(request).toMatchObject({ order_id: null, rejection: { reason: 'insufficient_stock', details: [{ product_sku: sku, requested: 1, available: 0 }] } });
    }
    const orders = await allOrders(system);
    expectSoldOut(orders, sku);
    expect(new Set(confirmed.map((r) => r.order_id))).toEqual(new Set(orders.filter((o) => o.items[0]!.product_sku === sku).map((o) => o.order_id)));
    expect(await stockOf(system, sku)).toMatchObject({ available: 0, reserved: 0 });
    await expectStockLedger(system, new Map([[sku, UNITS]]));
    await expectSettled(system);
    await expectNoFailedDeliveries(system);
  });
});
