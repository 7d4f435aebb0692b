import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, SUPPORT } from './system';
import { asCustomer, expectJson, JANE, JOHN, post, put, stockedProduct, useSystem } from './system-kit';
import { cartOf, expectProblem, outboxEvents, stockOf, type BuyNowRequest, type Cart, type Order } from './scenario-kit';

const system = await useSystem();

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

let johnsOrder: Order;
let johnsRequestId: string;
let janesOrder: Order;

async function orderThroughCart(customerId: string, sku: string, quantity: number): Promise<Order> {
  await expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(customerId))), 200);
  await expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customerId))), 202);
  await system.quiesce();
  const { order_id } = await cartOf(system, customerId);
  return expectJson<Order>(system.request('order', `/orders/${order_id}`, { headers: asCustomer(customerId) }), 200);
}

const listOrders = (query: string, headers: Record<string, string>) => expectJson<Page<Order>>(system.request('order', `/orders${query}`, { headers }), 200);

beforeAll(async () => {
  await stockedProduct(system, 'ISO-TEE', 20, 1000);
  johnsOrder = await orderThroughCart(JOHN, 'ISO-TEE', 2);
  janesOrder = await orderThroughCart(JANE, 'ISO-TEE', 1);
  const { request_id } = await expectJson<{ request_id: string }>(system.request('order', '/orders', post({ items: [{ product_sku: 'ISO-TEE', quantity: 1 }] }, asCustomer(JOHN))), 202);
  johnsRequestId = request_id;
  await system.quiesce();
  // Leaves John with an open cart holding a line, for the cart checks.
  await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'ISO-TEE', quantity: 3 }, asCustomer(JOHN))), 200);
});

describe("another customer's order", () => {
  it('does not exist for Jane: read, cancel, update and the buy-now request are 404, as for an order that does not exist', async () => {
    const jane = asCustomer(JANE);
    const id = johnsOrder.order_id;
    const nowhere = randomUUID();
    for (const [path, init] of [
      [`/orders/${id}`, { headers: jane }],
      [`/orders/${id}/cancel`, { method: 'POST', headers: jane }],
      [`/orders/${id}`, { method: 'DELETE', headers: jane }],
      [`/orders/${id}`, put({ note: 'mine now' }, jane)],
      [`/orders/requests/${johnsRequestId}`, { headers: jane }],
    ] as const) {
      const problem = await expectProblem(system.request('order', path, init), 404);
      // The same answer as for an id nobody has: nothing tells Jane that John's exists.
      const missing = await expectProblem(system.request('order', path.replace(path.includes('/requests/') ? johnsRequestId : id, nowhere), init), 404);
      expect({ type: problem.type, title: problem.title }).toEqual({ type: missing.type, title: missing.title });
      expect(problem.detail).not.toContain(JOHN);
    }

    await system.quiesce();
    expect(await expectJson<Order>(system.request('order', `/orders/${id}`, { headers: asCustomer(JOHN) }), 200)).toEqual(johnsOrder);
    expect(await outboxEvents(system, 'order', 'order.cancelled', (p) => p.order_id === id)).toHaveLength(0);
    expect(await stockOf(system, 'ISO-TEE')).toMatchObject({ available: 16, reserved: 0 });
    const request = await expectJson<BuyNowRequest>(system.request('order', `/orders/requests/${johnsRequestId}`, { headers: asCustomer(JOHN) }), 200);
    expect(request).toMatchObject({ customer_id: JOHN, status: 'confirmed' });
  });

  it("is never listed for Jane, not even when she filters on John's id", async () => {
    const own = await listOrders('?limit=200', asCustomer(JANE));
    expect(own.items.map((o) => o.order_id)).toEqual([janesOrder.order_id]);
    expect(await listOrders(`?customer_id=${JOHN}`, asCustomer(JANE))).toEqual({ items: [], next_cursor: null });
    const johns = await listOrders('?limit=200', asCustomer(JOHN));
    expect(johns.items.every((o) => o.customer_id === JOHN)).toBe(true);
    expect(johns.items).toHaveLength(2);
  });
});

describe("another customer's cart", () => {
  it("is never visible: each customer reads and edits only their own, and John's is untouched", async () => {
    const johns = await cartOf(system, JOHN);
    expect(johns).toMatchObject({ customer_id: JOHN, status: 'open', items: [expect.objectContaining({ product_sku: 'ISO-TEE', quantity: 3 })] });
    const janes = await cartOf(system, JANE);
    expect(janes.customer_id).toBe(JANE);
    expect(janes.cart_id).not.toBe(johns.cart_id);

    // Jane's own cart was ordered: removing a line is refused there, and cannot reach John's.
    await expectProblem(system.request('cart', '/cart/items/ISO-TEE', { method: 'DELETE', headers: asCustomer(JANE) }), 409);
    const janesNext = await expectJson<Cart>(system.request('cart', '/cart/items', post({ product_sku: 'ISO-TEE', quantity: 1 }, asCustomer(JANE))), 200);
    expect(janesNext).toMatchObject({ customer_id: JANE, items: [expect.objectContaining({ quantity: 1 })] });
    expect(janesNext.cart_id).not.toBe(johns.cart_id);
    expect(await cartOf(system, JOHN)).toEqual(johns);
  });
});

describe('support', () => {
  it('reads every order, filtered by customer_id and status', async () => {
    const all = await listOrders('?limit=200', SUPPORT);
    expect(new Set(all.items.map((o) => o.customer_id))).toEqual(new Set([JOHN, JANE]));
    expect(all.items).toHaveLength(3);

    const johns = await listOrders(`?customer_id=${JOHN}&limit=200`, SUPPORT);
    expect(johns.items.map((o) => o.customer_id)).toEqual([JOHN, JOHN]);
    expect(johns.items.map((o) => o.order_id)).toContain(johnsOrder.order_id);

    await expectJson(system.request('order', `/orders/${johnsOrder.order_id}/cancel`, { method: 'POST', headers: ADMIN }), 200);
    expect((await listOrders('?status=cancelled', SUPPORT)).items.map((o) => o.order_id)).toEqual([johnsOrder.order_id]);
    expect((await listOrders(`?status=confirmed&customer_id=${JOHN}`, SUPPORT)).items.map((o) => o.customer_id)).toEqual([JOHN]);
    expect((await listOrders(`?status=cancelled&customer_id=${JANE}`, SUPPORT)).items).toEqual([]);

    expect(await expectJson(system.request('order', `/orders/${janesOrder.order_id}`, { headers: SUPPORT }), 200)).toEqual(janesOrder);
    expect(await expectJson(system.request('order', `/orders/requests/${johnsRequestId}`, { headers: SUPPORT }), 200)).toMatchObject({ customer_id: JOHN });
  });

  it('only reads: cancelling or changing an order with the support token is 403 and changes nothing', async () => {
    await expectProblem(system.request('order', `/orders/${janesOrder.order_id}/cancel`, { method: 'POST', headers: SUPPORT }), 403);
    await expectProblem(system.request('order', `/orders/${janesOrder.order_id}`, put({ note: 'support was here' }, SUPPORT)), 403);
    expect(await expectJson(system.request('order', `/orders/${janesOrder.order_id}`, { headers: SUPPORT }), 200)).toEqual(janesOrder);
  });
});
