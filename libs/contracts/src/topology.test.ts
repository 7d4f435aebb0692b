import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES, SERVICES, type ServiceName } from './services';
import { TOPIC_NAMES, TOPICS, type TopicName } from './topics';
import { SUBSCRIPTIONS, subscriptionsOf, topicsConsumedBy, topicsPublishedBy, TOPOLOGY } from './topology';

/** DESIGN.md's service table, copied by hand: the expectation the code is checked against. */
const DESIGN_TABLE: Record<ServiceName, { port: number; publishes: string[]; consumes: string[] }> = {
  order: {
    port: 3000,
    publishes: ['order-requested', 'order.created', 'order.cancelled'],
    consumes: ['stock-available', 'stock.rejected', 'reservation.expired', 'product.upserted', 'product.deleted', 'customer.upserted', 'customer.deleted'],
  },
  product: { port: 3001, publishes: ['product.upserted', 'product.deleted'], consumes: ['stock.changed'] },
  inventory: {
    port: 3002,
    publishes: ['stock-available', 'stock.rejected', 'stock.changed', 'reservation.expired'],
    consumes: ['order-requested', 'order.created', 'order.cancelled', 'product.upserted', 'product.deleted'],
  },
  notification: {
    port: 3003,
    publishes: ['email.requested', 'push.requested'],
    consumes: [
      'stock.rejected',
      'order.created',
      'order.cancelled',
      'customer.upserted',
      'customer.deleted',
      'email.delivered',
      'email.failed',
      'push.delivered',
      'push.failed',
    ],
  },
  email: { port: 3004, publishes: ['email.delivered', 'email.failed'], consumes: ['email.requested'] },
  cart: {
    port: 3005,
    publishes: ['order-requested'],
    consumes: ['stock.rejected', 'order.created', 'order.cancelled', 'product.upserted', 'product.deleted', 'customer.upserted', 'customer.deleted'],
  },
  customer: { port: 3006, publishes: ['customer.upserted', 'customer.deleted'], consumes: [] },
  push: { port: 3007, publishes: ['push.delivered', 'push.failed'], consumes: ['push.requested', 'customer.upserted', 'customer.deleted'] },
};

const sorted = (values: readonly string[]) => [...values].sort();

/** Valid as a Pub/Sub topic or subscription id, and as a pg-boss queue name (`[\w.\-/]`). */
function isValidResourceName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]{2,254}$/.test(name) && !name.toLowerCase().startsWith('goog');
}

describe('SERVICES', () => {
  it('lists the eight services with their local ports', () => {
    expect(sorted(SERVICE_NAMES)).toEqual(sorted(Object.keys(DESIGN_TABLE)));
    for (const service of SERVICE_NAMES) {
      expect(SERVICES[service].name).toBe(service);
      expect(SERVICES[service].localPort).toBe(DESIGN_TABLE[service].port);
    }
  });
});

describe('TOPOLOGY', () => {
  it.each(SERVICE_NAMES)('subscribes %s to exactly the topics of its "consumes" column', (service) => {
    expect(sorted(topicsConsumedBy(service))).toEqual(sorted(DESIGN_TABLE[service].consumes));
    expect(sorted(subscriptionsOf(service).map((s) => s.topic))).toEqual(sorted(DESIGN_TABLE[service].consumes));
    expect(subscriptionsOf(service).every((s) => s.service === service)).toBe(true);
  });

  it.each(SERVICE_NAMES)('has %s publish exactly the topics of its "publishes" column', (service) => {
    expect(sorted(topicsPublishedBy(service))).toEqual(sorted(DESIGN_TABLE[service].publishes));
  });

  it('matches the union of the consumes column, one subscription per consuming service and topic', () => {
    const expected = SERVICE_NAMES.flatMap((service) => DESIGN_TABLE[service].consumes.map((topic) => `${service}.${topic}`));
    expect(sorted(SUBSCRIPTIONS.map((s) => s.name))).toEqual(sorted(expected));
    expect(new Set(SUBSCRIPTIONS.map((s) => s.name)).size).toBe(SUBSCRIPTIONS.length);
  });

  it('gives every topic at least one producer and at least one subscription, and no topic outside the contract', () => {
    const mentioned = new Set(Object.values(DESIGN_TABLE).flatMap((row) => [...row.publishes, ...row.consumes]));
    expect(sorted([...mentioned])).toEqual(sorted(TOPIC_NAMES));
    for (const topic of TOPIC_NAMES) {
      expect(TOPICS[topic].producers.length, topic).toBeGreaterThan(0);
      expect(TOPOLOGY[topic].length, topic).toBeGreaterThan(0);
      expect(TOPOLOGY[topic].every((s) => s.topic === topic)).toBe(true);
    }
  });

  it('names subscriptions <service>.<topic> with the shared delivery policy and a dead-letter topic of their own', () => {
    for (const s of SUBSCRIPTIONS) {
      expect(s).toMatchObject({
        name: `${s.service}.${s.topic}`,
        pushPath: '/pubsub/push',
        ordering: true,
        maxDeliveryAttempts: 100,
        ackDeadlineSeconds: 30,
        minBackoffSeconds: 10,
        maxBackoffSeconds: 600,
        deadLetterTopic: `${s.service}.${s.topic}.dead-letter`,
      });
      expect(TOPIC_NAMES).not.toContain(s.deadLetterTopic);
    }
    expect(new Set(SUBSCRIPTIONS.map((s) => s.deadLetterTopic)).size).toBe(SUBSCRIPTIONS.length);
  });

  it('uses names Pub/Sub and pg-boss both accept', () => {
    const names = [...TOPIC_NAMES, ...SUBSCRIPTIONS.flatMap((s) => [s.name, s.deadLetterTopic])];
    expect(names.filter((name) => !isValidResourceName(name))).toEqual([]);
  });

  it('stays within Pub/Sub delivery limits', () => {
    for (const s of SUBSCRIPTIONS) {
      expect(s.maxDeliveryAttempts).toBeGreaterThanOrEqual(5);
      expect(s.maxDeliveryAttempts).toBeLessThanOrEqual(100);
      expect(s.ackDeadlineSeconds).toBeGreaterThanOrEqual(10);
      expect(s.ackDeadlineSeconds).toBeLessThanOrEqual(600);
      expect(s.minBackoffSeconds).toBeLessThanOrEqual(s.maxBackoffSeconds);
      expect(s.maxBackoffSeconds).toBeLessThanOrEqual(600);
    }
  });

  it('batches only inventory.order-requested, 50 messages or 5 ms', () => {
    expect(SUBSCRIPTIONS.filter((s) => s.batch).map((s) => [s.name, s.batch])).toEqual([
      ['inventory.order-requested', { maxMessages: 50, maxWaitMs: 5 }],
    ]);
  });

  it('types each topic entry by its topic', () => {
    const topic: TopicName = TOPOLOGY['stock.changed'][0]!.topic;
    expect(topic).toBe('stock.changed');
  });
});
