import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import { EMPTY_CART, fakeStorefront, sessionCookie } from './storefront-test-kit';

/** A cart service's event stream that stays open, records when its reader lets go, and can send an event. */
function openStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => void (cancelled = true),
  });
  const send = (text: string) => controller.enqueue(new TextEncoder().encode(text));
  return { body, send, isCancelled: () => cancelled };
}

describe('the live cart relay (GET /cart/events)', () => {
  it('relays each cart event as the cart rendered by the page’s own code, keeps heartbeats, and lets go of the cart’s stream when the browser does', async () => {
    const upstream = openStream();
    // A function, not a Response: the kit clones a Response, and a clone's branch alone cannot cancel the source.
    const { app, calls } = fakeStorefront({ 'cart GET /cart/events': () => new Response(upstream.body, { headers: { 'Content-Type': 'text/event-stream' } }) });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', () => ready())));
    try {
      const browser = new AbortController();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/cart/events`, { headers: { Cookie: sessionCookie() }, signal: browser.signal });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(calls[0]!.headers['X-Customer-Id']).toBe('550e8400-e29b-41d4-a716-446655440000');
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();

      const rejected = { ...EMPTY_CART, status: 'stock-unavailable', items: [{ product_sku: 'TEE', name: 'T-shirt', quantity: 2, unit_price_cents: 1999 }], rejection: { reason: 'insufficient_stock', details: [{ product_sku: 'TEE', requested: 2, available: 1 }] } };
      upstream.send(`event: cart\nid: 1\nretry: 2000\ndata: ${JSON.stringify(rejected)}\n\n: keep-alive\n\n`);
      let received = '';
      while (!received.includes(': keep-alive')) received += (await reader.read()).value ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(received)![1]!) as { status: string; key: string; html: string };
      expect(received).toMatch(/^event: cart$/m);
      expect(data.status).toBe('stock-unavailable');
      expect(data.html).toContain('Not enough stock');
      expect(data.html).toMatch(/data-requested>2<.*data-available>1</s);

      browser.abort();
      await expect.poll(() => upstream.isCancelled(), { timeout: 5_000 }).toBe(true);
    } finally {
      server.close();
    }
  });
});
