// DESIGN.md "Seeing inside": every service's GET /metrics, read before and after a checkout, a rejected checkout, a
// buy-now, and a redelivered and an undeliverable message, shows each named metric present and moved.
import { describe, expect, it } from 'vitest';
import { subscriptionsOf, type ServiceName } from '@shop/contracts';
import { ADMIN, SUPPORT } from './system';
import { asCustomer, eventually, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';

const system = await useSystem();

type Samples = Map<string, number>;

/** `GET /metrics` as support, one entry per sample line: `name{labels}` → value. */
async function scrape(service: ServiceName): Promise<Samples> {
  const res = await system.request(service, '/metrics', { headers: SUPPORT });
  const text = await res.text();
  expect({ status: res.status, type: res.headers.get('Content-Type') }).toEqual({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8' });
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const WATCHED: ServiceName[] = ['cart', 'inventory', 'order', 'notification', 'email'];

async function scrapeAll(): Promise<Record<string, Samples>> {
  return Object.fromEntries(await Promise.all(WATCHED.map(async (s) => [s, await scrape(s)] as const)));
}

/** How much a sample grew between two scrapes (absent before counts as 0); undefined when absent after. */
function growth(before: Samples, after: Samples, sample: string): number | undefined {
  const now = after.get(sample);
  return now === undefined ? undefined : now - (before.get(sample) ?? 0);
}

describe('GET /metrics after a checkout', () => {
  it('answers 401 without a token and 200 with the admin token', async () => {
    for (const service of WATCHED) {
      expect((await system.request(service, '/metrics')).status).toBe(401);
      expect((await system.request(service, '/metrics', { headers: asCustomer(JOHN) })).status).toBe(401);
      expect((await system.request(service, '/metrics', { headers: ADMIN })).status).toBe(200);
    }
  });

  it('shows every named metric moved by a cart checkout, a rejected one and a buy-now', async () => {
    await stockedProduct(system, 'METRIC-TEE', 5, 1200);
    const before = await scrapeAll();
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'METRIC-TEE', quantity: 1 }, asCustomer(JOHN))), 200);
    await expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JOHN))), 202);
    await expectJson(system.request('order', '/orders', post({ items: [{ product_sku: 'METRIC-TEE', quantity: 1 }] }, asCustomer(JANE))), 202);
    // More than there is: rejected, so the cart's other final outcome is timed too.
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'METRIC-TEE', quantity: 50 }, asCustomer(JANE))), 200);
    await expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JANE))), 202);
    await system.quiesce();
    // E-mail is sent by its delivery loop after the event is handled; its outcome event follows.
    await eventually(() => scrape('email'), (s) => (growth(before.email!, s, 'events_published_total{topic="email.delivered"}') ?? 0) > 0);
    await system.quiesce();
    // The other e-mails of this test may still be on their way: the delivery loop sends each after its event
    // was handled, and publishes its outcome then. Quiet is when no watched subscription has anything waiting
    // (a PostgreSQL 15 run once scraped notification's lag at 5 ms, an email.delivered just published).
    const lags = (all: Record<string, Samples>) =>
      WATCHED.flatMap((service) => subscriptionsOf(service).map(({ name }) => all[service]!.get(`event_delivery_lag_seconds{subscription="${name}"}`)));
    const after = await eventually(scrapeAll, (all) => lags(all).every((lag) => lag === 0));
    // Present, whatever its value: a counter nothing in this run moves (no reservation expires here).
    const present = (service: ServiceName, sample: string) => expect({ service, sample, growth: growth(before[service]!, after[service]!, sample) }).toMatchObject({ growth: expect.any(Number) });
    const grew = (service: ServiceName, sample: string) =>
      expect({ service, sample, grew: (growth(before[service]!, after[service]!, sample) ?? 0) > 0 }).toEqual({ service, sample, grew: true });

    grew('cart', 'http_server_request_duration_seconds_count{method="POST",route="/cart/convert-to-order",status="202"}');
    grew('cart', 'http_server_request_duration_seconds_bucket{method="POST",route="/cart/convert-to-order",status="202",le="+Inf"}');
    grew('cart', 'events_published_total{topic="order-requested"}');
    grew('cart', 'events_consumed_total{topic="order.created",outcome="handled"}');
    grew('cart', 'checkout_duration_seconds_count{outcome="ordered"}');
    grew('cart', 'checkout_duration_seconds_count{outcome="stock-unavailable"}');
    grew('cart', 'events_consumed_total{topic="stock.rejected",outcome="handled"}');
    grew('inventory', 'events_published_total{topic="stock.rejected"}');
    grew('inventory', 'events_consumed_total{topic="order-requested",outcome="handled"}');
    grew('inventory', 'events_published_total{topic="stock-available"}');
    grew('inventory', 'events_published_total{topic="stock.changed"}');
    grew('inventory', 'reservations{status="committed"}');
    grew('order', 'http_server_request_duration_seconds_count{method="POST",route="/orders",status="202"}');
    grew('order', 'events_published_total{topic="order-requested"}');
    grew('order', 'events_published_total{topic="order.created"}');
    grew('order', 'events_consumed_total{topic="stock-available",outcome="handled"}');
    grew('order', 'checkout_duration_seconds_count{outcome="confirmed"}');
    grew('notification', 'events_consumed_total{topic="order.created",outcome="handled"}');
    grew('notification', 'events_published_total{topic="email.requested"}');
    grew('email', 'events_consumed_total{topic="email.requested",outcome="handled"}');
    grew('email', 'events_published_total{topic="email.delivered"}');
    present('inventory', 'reservations_expired_total');

    // A checkout's duration is real time: positive, and within the test's own run.
    const sum = after.cart!.get('checkout_duration_seconds_sum{outcome="ordered"}')!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(120);

    for (const service of WATCHED) {
      const samples = after[service]!;
      expect({ service, dead_letters: samples.get('dead_letters') }).toEqual({ service, dead_letters: 0 });
      // Once quiet, every subscription of the service has nothing waiting: lag 0, one sample each.
      for (const { name } of subscriptionsOf(service)) {
        expect({ service, name, lag: samples.get(`event_delivery_lag_seconds{subscription="${name}"}`) }).toEqual({ service, name, lag: 0 });
      }
    }
    // Each service shows its own figures: only cart and order observe checkouts.
    for (const service of ['inventory', 'notification', 'email'] as const) {
      expect([...after[service]!.keys()].filter((k) => k.startsWith('checkout_duration_seconds'))).toEqual([]);
    }
  });

  it('counts a redelivered message as duplicate and an undeliverable one as dead_lettered, and the dead letter shows', async () => {
    const { rows } = await system.db.pool.query<{ attributes: Record<string, string>; payload: unknown }>(
      `SELECT attributes, payload FROM "order".outbox WHERE topic = 'order.created' AND payload->>'source' = 'cart' ORDER BY id DESC LIMIT 1`,
    );
    const published = rows[0]!;
    const before = await scrape('cart');
    const consumer = system.services.cart.events.consumer;
    // What a transport hands the consumer when it delivers the same message again (at-least-once).
    const again = { attributes: published.attributes, data: JSON.stringify(published.payload), deliveryAttempt: 2 };
    expect(await consumer.deliver('cart.order.created', [again])).toEqual([{ status: 'ack', duplicate: true }]);
    const invalid = { attributes: { ...published.attributes, event_id: crypto.randomUUID() }, data: JSON.stringify({ order_id: 'not-an-order' }), deliveryAttempt: 1 };
    expect(await consumer.deliver('cart.order.created', [invalid])).toEqual([{ status: 'dead-letter', reason: expect.any(String) }]);
    const after = await scrape('cart');
    expect(growth(before, after, 'events_consumed_total{topic="order.created",outcome="duplicate"}')).toBe(1);
    expect(growth(before, after, 'events_consumed_total{topic="order.created",outcome="dead_lettered"}')).toBe(1);
    expect(growth(before, after, 'events_consumed_total{topic="order.created",outcome="handled"}')).toBe(0);
    expect(growth(before, after, 'dead_letters')).toBe(1);
  });
});
