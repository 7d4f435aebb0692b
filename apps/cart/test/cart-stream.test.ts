import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { addToCart, asCustomer, cartApp, checkoutCart, newCustomer, problem, TEE, type Cart, type CartTestApp } from './cart-test-app';

let db: TestDatabase;
let cart: CartTestApp;
/** A second instance of the service over the same database, as another Cloud Run instance would be. */
let other: CartTestApp;

beforeAll(async () => {
  db = await useTestDatabase();
  cart = await cartApp(db);
  other = await cartApp(db);
});

interface SseEvent {
  event: string | undefined;
  id: string | undefined;
  data: string;
}

/** A client of `GET /cart/events` reading one event at a time. */
interface CartStream {
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Resolves true when the server ended the stream. */
  ended(timeoutMs?: number): Promise<boolean>;
  cancel(): Promise<void>;
}

const open: CartStream[] = [];
afterAll(async () => {
  await Promise.all(open.map((s) => s.cancel()));
});

async function openStream(app: CartTestApp, customerId: string): Promise<CartStream> {
  const res = await app.app.request('/cart/events', { headers: asCustomer(customerId) });
  expect(res.status).toBe(200);
  expect(res.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;
  const read = async (timeoutMs: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no data within ${timeoutMs} ms`)), timeoutMs)));
    try {
      const chunk = await Promise.race([reader.read(), timeout]);
      if (chunk.done) done = true;
      else buffer += decoder.decode(chunk.value, { stream: true });
    } finally {
      clearTimeout(timer);
    }
  };
  const stream: CartStream = {
    async next(timeoutMs = 5_000) {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          if (lines.every((l) => l.startsWith(':'))) continue;
          const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          return { event: field('event'), id: field('id'), data: lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n') };
        }
        if (done) throw new Error('the stream ended');
        await read(timeoutMs);
      }
    },
    async ended(timeoutMs = 5_000) {
      while (!done) await read(timeoutMs);
      return true;
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
  open.push(stream);
  return stream;
}

async function nextCart(stream: CartStream): Promise<Cart> {
  const event = await stream.next();
  expect(event.event).toBe('cart');
  return JSON.parse(event.data) as Cart;
}

describe('GET /cart/events', () => {
  it('sends the cart at once, then the status change when a handler moves it', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku, 2);
    const { cart_id, request_id } = await checkoutCart(cart, customer);
    const stream = await openStream(cart, customer);
    const first = await stream.next();
    expect(first).toMatchObject({ event: 'cart', id: '1' });
    expect(JSON.parse(first.data)).toMatchObject({ cart_id, status: 'pending', cart_locked: true });

    await cart.publishToCart('stock.rejected', {
      request_id,
      source: 'cart',
      cart_id,
      customer_id: customer,
      reason: 'insufficient_stock',
      details: [{ product_sku: TEE.sku, requested: 2, available: 0 }],
    });
    const second = await stream.next();
    expect(second).toMatchObject({ event: 'cart', id: '2' });
    expect(JSON.parse(second.data)).toMatchObject({
      cart_id,
      status: 'stock-unavailable',
      cart_locked: false,
      rejection: { reason: 'insufficient_stock', details: [{ product_sku: TEE.sku, requested: 2, available: 0 }] },
    });
  });

  it('sends the empty cart to a customer without one, then the cart their first add creates', async () => {
    const customer = await newCustomer(cart);
    const stream = await openStream(cart, customer);
    const empty = await nextCart(stream);
    expect(empty).toMatchObject({ status: 'open', items: [] });
    await addToCart(cart, customer, TEE.sku);
    expect(await nextCart(stream)).toMatchObject({ cart_id: empty.cart_id, items: [expect.objectContaining({ product_sku: TEE.sku })] });
  });

  it('receives a change committed by another instance of the service (LISTEN/NOTIFY across processes)', async () => {
    const customer = await newCustomer(cart);
    await newCustomer(other);
    await other.publishToCart('customer.upserted', { customer_id: customer, name: 'Both', email: 'both@example.com' });
    await addToCart(cart, customer, TEE.sku);
    const { cart_id, request_id } = await checkoutCart(cart, customer);
    const stream = await openStream(other, customer);
    expect(await nextCart(stream)).toMatchObject({ status: 'pending' });
    const orderId = randomUUID();
    await cart.publishToCart('order.created', {
      order_id: orderId,
      request_id,
      source: 'cart',
      cart_id,
      customer_id: customer,
      reservation_id: randomUUID(),
      items: [{ product_sku: TEE.sku, quantity: 1, unit_price_cents: TEE.price_cents }],
      total_cents: TEE.price_cents,
      currency: 'EUR',
      status: 'confirmed',
      created_at: new Date().toISOString(),
    });
    expect(await nextCart(stream)).toMatchObject({ cart_id, status: 'ordered', order_id: orderId, cart_locked: true });
  });

  it("sends only the customer's own changes", async () => {
    const customer = await newCustomer(cart);
    const stranger = await newCustomer(cart);
    const stream = await openStream(cart, customer);
    await nextCart(stream);
    await addToCart(cart, stranger, TEE.sku, 3);
    await addToCart(cart, customer, TEE.sku, 1);
    const next = await nextCart(stream);
    expect(next.customer_id).toBe(customer);
    expect(next.items).toEqual([expect.objectContaining({ quantity: 1 })]);
  });

  it('answers 401 without identity or for an unknown customer, 400 for an X-Customer-Id that is no UUID', async () => {
    await problem(await cart.app.request('/cart/events'), 401);
    await problem(await cart.app.request('/cart/events', { headers: asCustomer(randomUUID()) }), 401);
    await problem(await cart.app.request('/cart/events', { headers: asCustomer('x') }), 400);
  });

  it('ends open streams when the service drains, refuses new ones with 503 meanwhile, and serves again afterwards', async () => {
    const customer = await newCustomer(other);
    const stream = await openStream(other, customer);
    await nextCart(stream);
    other.setDraining(true);
    try {
      expect(await stream.ended(2_000)).toBe(true);
      await problem(await other.app.request('/cart/events', { headers: asCustomer(customer) }), 503);
    } finally {
      other.setDraining(false);
    }
    const again = await openStream(other, customer);
    expect(await nextCart(again)).toMatchObject({ customer_id: customer });
  });
});
