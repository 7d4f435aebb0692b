import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf, TopicName } from '@shop/contracts';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import {
  addToCart,
  asCustomer,
  cartApp,
  cartState,
  checkoutCart,
  message,
  MUG,
  newCustomer,
  problem,
  readCart,
  TEE,
  type Cart,
  type CartTestApp,
} from './cart-test-app';

let db: TestDatabase;
let cart: CartTestApp;

beforeAll(async () => {
  db = await useTestDatabase();
  cart = await cartApp(db);
});

interface Checkout {
  customer: string;
  cart_id: string;
  request_id: string;
}

/** A new customer with TEE ×2 and MUG ×1 in a cart that is now pending. */
async function pendingCheckout(): Promise<Checkout> {
  const customer = await newCustomer(cart);
  await addToCart(cart, customer, TEE.sku, 2);
  await addToCart(cart, customer, MUG.sku, 1);
  const { cart_id, request_id } = await checkoutCart(cart, customer);
  return { customer, cart_id, request_id };
}

function rejected(c: Checkout, overrides: Partial<PayloadOf<'stock.rejected'>> = {}): PayloadOf<'stock.rejected'> {
  return {
    request_id: c.request_id,
    source: 'cart',
    cart_id: c.cart_id,
    customer_id: c.customer,
    reason: 'insufficient_stock',
    details: [{ product_sku: TEE.sku, requested: 2, available: 1 }],
    ...overrides,
  };
}

function created(c: Checkout, orderId: string = randomUUID()): PayloadOf<'order.created'> {
  return {
    order_id: orderId,
    request_id: c.request_id,
    source: 'cart',
    cart_id: c.cart_id,
    customer_id: c.customer,
    reservation_id: randomUUID(),
    items: [
      { product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents },
      { product_sku: MUG.sku, quantity: 1, unit_price_cents: MUG.price_cents },
    ],
    total_cents: 2 * TEE.price_cents + MUG.price_cents,
    currency: 'EUR',
    status: 'confirmed',
    created_at: new Date().toISOString(),
  };
}

async function cartRow(cartId: string): Promise<{ status: string; cart_locked: boolean; current_for: string | null; order_id: string | null; request_id: string }> {
  const { rows } = await db.pool.query('SELECT status, cart_locked, current_for::text, order_id::text, request_id::text FROM cart.carts WHERE cart_id = $1', [cartId]);
  return rows[0];
}

describe('the checkout choreography, as the cart sees it', () => {
  it('rejected → stock-unavailable and unlocked; edit → open; checkout again → new request; ordered → locked; next add → a new cart', async () => {
    const first = await pendingCheckout();

    expect(await cart.publishToCart('stock.rejected', rejected(first))).toEqual({ status: 'ack' });
    const unavailable = await readCart(cart, first.customer);
    expect(unavailable).toMatchObject({
      cart_id: first.cart_id,
      status: 'stock-unavailable',
      cart_locked: false,
      order_id: null,
      rejection: { reason: 'insufficient_stock', details: [{ product_sku: TEE.sku, requested: 2, available: 1 }] },
    });

    const edited = await cart.app.request(`/cart/items/${TEE.sku}`, { method: 'DELETE', headers: asCustomer(first.customer) });
    expect(await edited.json()).toMatchObject({ cart_id: first.cart_id, status: 'open', cart_locked: false, rejection: null });

    const second = await checkoutCart(cart, first.customer);
    expect(second.cart_id).toBe(first.cart_id);
    expect(second.request_id).not.toBe(first.request_id);

    const orderId = randomUUID();
    expect(await cart.publishToCart('order.created', created({ ...first, request_id: second.request_id }, orderId))).toEqual({ status: 'ack' });
    const ordered = await readCart(cart, first.customer);
    expect(ordered).toMatchObject({ cart_id: first.cart_id, status: 'ordered', cart_locked: true, order_id: orderId, rejection: null });
    expect(ordered.items.map((i) => i.product_sku)).toEqual([MUG.sku]);

    const next = await addToCart(cart, first.customer, TEE.sku, 1);
    expect(next).toMatchObject({ status: 'open', cart_locked: false, order_id: null, items: [expect.objectContaining({ product_sku: TEE.sku, quantity: 1 })] });
    expect(next.cart_id).not.toBe(first.cart_id);
    expect(await cartRow(first.cart_id)).toMatchObject({ status: 'ordered', cart_locked: true, current_for: null, order_id: orderId });
  });

  it('returns a stock-unavailable cart to open when an item is added, clearing the rejection', async () => {
    const c = await pendingCheckout();
    await cart.publishToCart('stock.rejected', rejected(c));
    const reopened = await addToCart(cart, c.customer, MUG.sku, 1);
    expect(reopened).toMatchObject({ cart_id: c.cart_id, status: 'open', cart_locked: false, rejection: null });
    expect(reopened.items.find((i) => i.product_sku === MUG.sku)?.quantity).toBe(2);
  });

  it('checks a stock-unavailable cart out again as it is, with a new request id', async () => {
    const c = await pendingCheckout();
    await cart.publishToCart('stock.rejected', rejected(c));
    const again = await checkoutCart(cart, c.customer);
    expect(again.request_id).not.toBe(c.request_id);
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'pending', cart_locked: true, rejection: null });
  });

  it('refuses editing or checking out an ordered cart with 409, writing nothing (invariant 5)', async () => {
    const c = await pendingCheckout();
    await cart.publishToCart('order.created', created(c));
    const before = await cartState(db);
    await problem(await cart.app.request(`/cart/items/${TEE.sku}`, { method: 'DELETE', headers: asCustomer(c.customer) }), 409);
    await problem(await cart.app.request('/cart/convert-to-order', { method: 'POST', headers: asCustomer(c.customer) }), 409);
    expect(await cartState(db)).toEqual(before);
  });

  it('ignores stock.rejected and order.created of buy-now requests', async () => {
    const c = await pendingCheckout();
    const before = await cartState(db);
    const buyNow = { ...c, cart_id: null } as unknown as Checkout;
    expect(await cart.publishToCart('stock.rejected', { ...rejected(buyNow), source: 'buy-now', cart_id: null })).toEqual({ status: 'ack' });
    expect(await cart.publishToCart('order.created', { ...created(buyNow), source: 'buy-now', cart_id: null })).toEqual({ status: 'ack' });
    const after = await cartState(db);
    expect(after['carts']).toEqual(before['carts']);
    expect(after['cart_items']).toEqual(before['cart_items']);
  });

  it('keeps an ordered cart as it is when order.cancelled arrives', async () => {
    const c = await pendingCheckout();
    const order = created(c);
    await cart.publishToCart('order.created', order);
    const before = await readCart(cart, c.customer);
    const cancelled = message('order.cancelled', {
      order_id: order.order_id,
      cart_id: c.cart_id,
      customer_id: c.customer,
      reservation_id: order.reservation_id,
      items: order.items,
      reason: 'changed my mind',
      cancelled_at: new Date().toISOString(),
    });
    expect(await cart.deliver('order.cancelled', cancelled)).toEqual([{ status: 'ack' }]);
    expect(await cart.deliver('order.cancelled', cancelled)).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await readCart(cart, c.customer)).toEqual(before);
  });
});

describe('cart handlers: duplicate deliveries (invariant 3)', () => {
  it('applies stock.rejected once: a redelivery after the customer edited the cart does not reject it again', async () => {
    const c = await pendingCheckout();
    const msg = message('stock.rejected', rejected(c));
    expect(await cart.deliver('stock.rejected', msg)).toEqual([{ status: 'ack' }]);
    await addToCart(cart, c.customer, TEE.sku, 1);
    expect(await cart.deliver('stock.rejected', msg)).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'open', rejection: null });
  });

  it('applies order.created once: a redelivery after the next add leaves the new cart alone', async () => {
    const c = await pendingCheckout();
    const msg = message('order.created', created(c));
    expect(await cart.deliver('order.created', msg)).toEqual([{ status: 'ack' }]);
    const next = await addToCart(cart, c.customer, MUG.sku);
    expect(await cart.deliver('order.created', msg)).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await readCart(cart, c.customer)).toEqual(next);
  });

  it('has one effect when ten copies of stock.rejected arrive at the same moment', async () => {
    const c = await pendingCheckout();
    const msg = message('stock.rejected', rejected(c));
    const outcomes = (await Promise.all(Array.from({ length: 10 }, () => cart.deliver('stock.rejected', msg)))).flat();
    expect(outcomes.filter((o) => o.status === 'ack' && !o.duplicate)).toHaveLength(1);
    expect(outcomes.every((o) => o.status === 'ack')).toBe(true);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM cart.processed_messages WHERE event_id = $1', [msg.attributes['event_id']]);
    expect(rows[0].n).toBe(1);
  });
});

describe('cart handlers: events out of order', () => {
  it('ignores order.created for a request the cart already saw rejected', async () => {
    const c = await pendingCheckout();
    await cart.publishToCart('stock.rejected', rejected(c));
    expect(await cart.publishToCart('order.created', created(c))).toEqual({ status: 'ack' });
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'stock-unavailable', cart_locked: false, order_id: null });
    expect(await cartRow(c.cart_id)).toMatchObject({ current_for: c.customer });
  });

  it('ignores order.created for an earlier attempt while a later one is pending', async () => {
    const c = await pendingCheckout();
    await cart.publishToCart('stock.rejected', rejected(c));
    const again = await checkoutCart(cart, c.customer);
    await cart.publishToCart('order.created', created(c));
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'pending', cart_locked: true, order_id: null });
    expect(await cartRow(c.cart_id)).toMatchObject({ request_id: again.request_id });
  });

  it('ignores stock.rejected for an earlier attempt, and stock.rejected after the order was created', async () => {
    const c = await pendingCheckout();
    await cart.publishToCart('stock.rejected', rejected(c));
    const again = await checkoutCart(cart, c.customer);
    await cart.publishToCart('stock.rejected', rejected(c, { details: [{ product_sku: MUG.sku, requested: 1, available: 0 }] }));
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'pending', rejection: null });
    const orderId = randomUUID();
    await cart.publishToCart('order.created', created({ ...c, request_id: again.request_id }, orderId));
    await cart.publishToCart('stock.rejected', rejected({ ...c, request_id: again.request_id }));
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'ordered', cart_locked: true, order_id: orderId, rejection: null });
  });

  it('ignores events for a cart it does not have', async () => {
    const ghost = { customer: randomUUID(), cart_id: randomUUID(), request_id: randomUUID() };
    const before = await cartState(db);
    expect(await cart.publishToCart('stock.rejected', rejected(ghost))).toEqual({ status: 'ack' });
    expect(await cart.publishToCart('order.created', created(ghost))).toEqual({ status: 'ack' });
    const after = await cartState(db);
    expect(after['carts']).toEqual(before['carts']);
  });
});

describe('cart handlers: invalid payloads', () => {
  const valid: { [T in TopicName]?: PayloadOf<T> } = {
    'stock.rejected': rejected({ customer: randomUUID(), cart_id: randomUUID(), request_id: randomUUID() }),
    'order.created': created({ customer: randomUUID(), cart_id: randomUUID(), request_id: randomUUID() }),
    'order.cancelled': {
      order_id: randomUUID(),
      cart_id: null,
      customer_id: randomUUID(),
      reservation_id: randomUUID(),
      items: [{ product_sku: 'X', quantity: 1, unit_price_cents: 1 }],
      reason: 'r',
      cancelled_at: new Date().toISOString(),
    },
    'product.upserted': { sku: 'X', name: 'X', description: '', price_cents: 1, currency: 'EUR', active: true },
    'product.deleted': { sku: 'X' },
    'customer.upserted': { customer_id: randomUUID(), name: 'X', email: 'x@example.com' },
    'customer.deleted': { customer_id: randomUUID() },
  };
  const broken: Record<string, unknown> = {
    'stock.rejected': { ...valid['stock.rejected'], details: [] },
    'order.created': { ...valid['order.created'], cart_id: null },
    'order.cancelled': { ...valid['order.cancelled'], items: [] },
    'product.upserted': { ...valid['product.upserted'], price_cents: -1 },
    'product.deleted': { sku: '' },
    'customer.upserted': { ...valid['customer.upserted'], email: 'not-an-email' },
    'customer.deleted': { customer_id: 'nope' },
  };

  it.each(Object.keys(broken) as TopicName[])('dead-letters an invalid %s at once, changing nothing', async (topic) => {
    const before = await cartState(db);
    const msg = { ...message(topic, valid[topic] as never), data: JSON.stringify(broken[topic]) };
    expect(await cart.deliver(topic, msg)).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await cartState(db)).toEqual(before);
    const letters = await cart.context.events.consumer.deadLetters.list({ limit: 50, subscription: `cart.${topic}` });
    expect(letters.map((l) => l.event_id)).toContain(msg.attributes['event_id']);
  });
});

// How the read models behave (ordering, ties, duplicates, concurrency) is the shared suite's, in read-models.test.ts;
// here only what the cart does with them.
describe('cart read models', () => {
  it('prices new lines at the latest product.upserted, and refuses products once inactive', async () => {
    const customer = await newCustomer(cart);
    await cart.publishToCart('product.upserted', { sku: 'LAMP', name: 'Lamp', description: '', price_cents: 3000, currency: 'EUR', active: true });
    expect((await addToCart(cart, customer, 'LAMP')).items[0]).toMatchObject({ name: 'Lamp', unit_price_cents: 3000 });
    await cart.publishToCart('product.upserted', { sku: 'LAMP', name: 'Desk lamp', description: '', price_cents: 3500, currency: 'EUR', active: true });
    expect((await addToCart(cart, customer, 'LAMP')).items[0]).toMatchObject({ name: 'Desk lamp', quantity: 2, unit_price_cents: 3500 });
    await cart.publishToCart('product.upserted', { sku: 'LAMP', name: 'Desk lamp', description: '', price_cents: 3500, currency: 'EUR', active: false });
    const res = await cart.app.request('/cart/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...asCustomer(customer) },
      body: JSON.stringify({ product_sku: 'LAMP', quantity: 1 }),
    });
    await problem(res, 422);
    expect(((await readCart(cart, customer)) as Cart).items[0]!.quantity).toBe(2);
  });

  const addOne = (customer: string, sku: string) =>
    cart.app.request('/cart/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...asCustomer(customer) },
      body: JSON.stringify({ product_sku: sku, quantity: 1 }),
    });
  const getCart = (customer: string) => cart.app.request('/cart', { headers: asCustomer(customer) });
  async function customerRow(customerId: string): Promise<{ name: string | null; email: string | null; deleted_at: Date | null; updated_at: Date }> {
    const { rows } = await db.pool.query('SELECT name, email, deleted_at, updated_at FROM cart.customers WHERE customer_id = $1', [customerId]);
    return rows[0];
  }

  it('makes a customer unknown (401) when customer.deleted follows customer.upserted, keeping its cart as a tombstone', async () => {
    const customer = await newCustomer(cart);
    const { cart_id } = await addToCart(cart, customer, TEE.sku);
    expect(await cart.publishToCart('customer.deleted', { customer_id: customer })).toEqual({ status: 'ack' });
    await problem(await getCart(customer), 401);
    await problem(await addOne(customer, TEE.sku), 401);
    expect(await cartRow(cart_id)).toMatchObject({ status: 'open', current_for: customer });
    expect(await customerRow(customer)).toMatchObject({ name: null, email: null, deleted_at: expect.any(Date) });
  });
});
