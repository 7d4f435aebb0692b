import { describe, expect, it } from 'vitest';
import { buildHops, stopOf, type ServiceEvent } from './journey';
import { journeyPage } from './journey-page';

const published = (service: ServiceEvent['service'], event_id: string, topic: string, occurred_at: string, outcome: ServiceEvent['outcome'] = 'published'): ServiceEvent => ({
  service,
  event_id,
  topic,
  direction: 'published',
  subscription: null,
  occurred_at,
  handled_at: outcome === 'published' ? occurred_at : null,
  outcome,
  reason: null,
});
const consumed = (service: ServiceEvent['service'], event_id: string, topic: string, occurred_at: string, handled_at: string, outcome: ServiceEvent['outcome'] = 'handled', reason: string | null = null): ServiceEvent => ({
  service,
  event_id,
  topic,
  direction: 'consumed',
  subscription: `${service}.${topic}`,
  occurred_at,
  handled_at,
  outcome,
  reason,
});

const T0 = '2026-12-07T10:00:00.000Z';
const T1 = '2026-12-07T10:00:00.120Z';
const T2 = '2026-12-07T10:00:00.300Z';

describe('buildHops', () => {
  it('pairs each published event with its consumers, in the order the events happened, with the time each hop took', () => {
    const hops = buildHops([
      // Given out of order, as services answer.
      consumed('order', 'e2', 'stock-available', T1, T2),
      published('inventory', 'e2', 'stock-available', T1),
      published('cart', 'e1', 'order-requested', T0),
      consumed('inventory', 'e1', 'order-requested', T0, T1),
    ]);
    expect(hops.map((h) => [h.topic, h.producer, h.publication])).toEqual([
      ['order-requested', 'cart', 'published'],
      ['stock-available', 'inventory', 'published'],
    ]);
    expect(hops[0]!.deliveries).toEqual([{ subscription: 'inventory.order-requested', service: 'inventory', outcome: 'handled', handledAt: T1, tookMs: 120, reason: null }]);
    expect(hops[1]!.deliveries[0]).toMatchObject({ subscription: 'order.stock-available', tookMs: 180 });
    expect(stopOf(hops)).toBeNull();
  });

  it('stops at the first dead-lettered hop, and lists the subscriptions that have no record of an event', () => {
    const hops = buildHops([
      published('cart', 'e1', 'order-requested', T0),
      consumed('inventory', 'e1', 'order-requested', T0, T1),
      published('inventory', 'e2', 'stock-available', T1),
      consumed('order', 'e2', 'stock-available', T1, T2, 'dead_lettered', 'handler_failed'),
    ]);
    expect(stopOf(hops)).toMatchObject({ why: 'dead_lettered', hop: { topic: 'stock-available' }, delivery: { subscription: 'order.stock-available', reason: 'handler_failed' } });
  });

  it('keeps a handled record over a dead letter of the same event and subscription', () => {
    const hops = buildHops([
      published('inventory', 'e2', 'stock-available', T1),
      consumed('order', 'e2', 'stock-available', T1, T2),
      consumed('order', 'e2', 'stock-available', T1, T1, 'dead_lettered', 'handler_failed'),
    ]);
    expect(hops[0]!.deliveries.map((d) => d.outcome)).toEqual(['handled']);
  });

  it('says an event waits when it is not relayed yet, or when no subscriber has handled it', () => {
    expect(stopOf(buildHops([published('cart', 'e1', 'order-requested', T0, 'pending')]))).toMatchObject({ why: 'pending' });
    const unheard = buildHops([published('cart', 'e1', 'order-requested', T0)]);
    expect(unheard[0]!.deliveries).toEqual([expect.objectContaining({ subscription: 'inventory.order-requested', outcome: 'no_record' })]);
    expect(stopOf(unheard)).toMatchObject({ why: 'unhandled' });
  });

  it('names the producer of a consumed event whose outbox row is gone when the topic has one producer', () => {
    const [hop] = buildHops([consumed('order', 'e2', 'stock-available', T1, T2)]);
    expect(hop).toMatchObject({ producer: 'inventory', publication: 'unknown' });
  });
});

describe('journeyPage', () => {
  it('escapes what the services sent', () => {
    const hops = buildHops([published('cart', 'e1', 'order-requested', T0), consumed('inventory', 'e1', 'order-requested', T0, T1, 'dead_lettered', '<img src=x onerror=alert(1)>')]);
    const page = journeyPage({ id: 'cart-1', correlationIds: ['cart-1'], hops, stop: stopOf(hops), unreachable: [{ service: 'order', detail: '<script>x</script>' }] }, 'support');
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<script>x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
