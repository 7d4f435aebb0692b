import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@shop/config';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { cartConfigSchema } from '../src/config';
import { asCustomer, cartApp, newCustomer, type CartTestApp } from './cart-test-app';

let db: TestDatabase;
const servers: ServerType[] = [];
const clients: AbortController[] = [];

beforeAll(async () => {
  db = await useTestDatabase();
});

afterAll(async () => {
  for (const client of clients) client.abort();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** The cart app with `limits`, served on a real socket. */
async function servedCart(limits: { perCustomer: number; perInstance: number }): Promise<{ cart: CartTestApp; url: string }> {
  const cart = await cartApp(db, { streams: limits });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: cart.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  servers.push(server);
  return { cart, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Opened {
  status: number;
  retryAfter: string | null;
  contentType: string | null;
  body: unknown;
  /** Hangs up, as a closed browser tab does. */
  close(): void;
}

/** Opens `GET /cart/events` over HTTP; an accepted stream is read up to its first `cart` event and left open. */
async function openStream(url: string, customerId: string): Promise<Opened> {
  const client = new AbortController();
  clients.push(client);
  const res = await fetch(`${url}/cart/events`, { headers: asCustomer(customerId), signal: client.signal });
  const opened = { status: res.status, retryAfter: res.headers.get('Retry-After'), contentType: res.headers.get('Content-Type'), close: () => client.abort() };
  if (res.status !== 200) return { ...opened, body: await res.json() };
  const reader = res.body!.getReader();
  let received = '';
  while (!received.includes('event: cart')) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error('the stream ended before its first event');
    received += new TextDecoder().decode(chunk.value);
  }
  return { ...opened, body: undefined };
}

/** Opens a stream as soon as the server has noticed a hang-up and freed its slot. */
async function openOnceFreed(url: string, customerId: string, timeoutMs = 5_000): Promise<Opened> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const opened = await openStream(url, customerId);
    if (opened.status === 200 || Date.now() > deadline) return opened;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('GET /cart/events limits', () => {
  it('refuses a customer\'s 4th stream with a 429 problem and Retry-After, serves another customer, and accepts again once one closes', async () => {
    const { cart, url } = await servedCart({ perCustomer: 3, perInstance: 100 });
    const [shopper, other] = [await newCustomer(cart), await newCustomer(cart)];
    const streams = [await openStream(url, shopper), await openStream(url, shopper), await openStream(url, shopper)];
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);

    const fourth = await openStream(url, shopper);
    expect(fourth).toMatchObject({ status: 429, contentType: 'application/problem+json', body: { status: 429, type: 'https://problems.shop.example/too-many-requests' } });
    expect(Number(fourth.retryAfter)).toBeGreaterThan(0);
    expect((await openStream(url, other)).status).toBe(200);

    streams[0]!.close();
    expect((await openOnceFreed(url, shopper)).status).toBe(200);
    expect((await openStream(url, shopper)).status).toBe(429);
  });

  it('refuses streams past the instance\'s limit with a 503 problem and Retry-After, and accepts again once one closes', async () => {
    const { cart, url } = await servedCart({ perCustomer: 3, perInstance: 2 });
    const [a, b, c] = [await newCustomer(cart), await newCustomer(cart), await newCustomer(cart)];
    const first = await openStream(url, a);
    expect((await openStream(url, b)).status).toBe(200);

    const refused = await openStream(url, c);
    expect(refused).toMatchObject({ status: 503, contentType: 'application/problem+json', body: { status: 503 } });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // Within their own allowance, yet the instance is full.
    expect((await openStream(url, a)).status).toBe(503);

    first.close();
    expect((await openOnceFreed(url, c)).status).toBe(200);
    expect((await openStream(url, a)).status).toBe(503);
  });

  it('frees every slot when the service drains', async () => {
    const { cart, url } = await servedCart({ perCustomer: 2, perInstance: 2 });
    const shopper = await newCustomer(cart);
    await openStream(url, shopper);
    await openStream(url, shopper);
    cart.setDraining(true);
    cart.setDraining(false);
    expect([(await openOnceFreed(url, shopper)).status, (await openStream(url, shopper)).status]).toEqual([200, 200]);
    expect((await openStream(url, shopper)).status).toBe(429);
  });

  it('lets concurrent opens take no more than the limit', async () => {
    const { cart, url } = await servedCart({ perCustomer: 3, perInstance: 100 });
    const shopper = await newCustomer(cart);
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => openStream(url, shopper)))).map((s) => s.status);
    expect(statuses.sort()).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
  });
});

describe('the cart stream settings', () => {
  it('default to 3 per customer and 200 per instance', () => {
    const config = loadConfig(cartConfigSchema, { DATABASE_URL: 'postgresql://localhost/shop' });
    expect({ perCustomer: config.CART_STREAMS_PER_CUSTOMER, perInstance: config.CART_STREAMS_PER_INSTANCE }).toEqual({ perCustomer: 3, perInstance: 200 });
  });
});
