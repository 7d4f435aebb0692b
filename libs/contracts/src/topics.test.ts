import { describe, expect, it } from 'vitest';
import { CART_ID, CUSTOMER_ID, EXAMPLES, NOTIFICATION_ID, ORDER_ID, REQUEST_ID } from './examples.fixture';
import { isTopicName, orderingKeyOf, parsePayload, TOPIC_NAMES, TOPICS, type PayloadOf, type TopicName } from './topics';

describe('TOPICS', () => {
  it('holds exactly the seventeen topics of the contract, each under its own wire name, at version 1', () => {
    expect([...TOPIC_NAMES].sort()).toEqual(
      [
        'order-requested',
        'stock-available',
        'stock.rejected',
        'stock.changed',
        'order.created',
        'order.cancelled',
        'reservation.expired',
        'product.upserted',
        'product.deleted',
        'customer.upserted',
        'customer.deleted',
        'email.requested',
        'email.delivered',
        'email.failed',
        'push.requested',
        'push.delivered',
        'push.failed',
      ].sort(),
    );
    for (const name of TOPIC_NAMES) {
      expect(TOPICS[name].topic).toBe(name);
      expect(TOPICS[name].version).toBe(1);
      expect(TOPICS[name].producers.length).toBeGreaterThan(0);
    }
  });

  it('lets both cart and order publish order-requested', () => {
    expect(TOPICS['order-requested'].producers).toEqual(['cart', 'order']);
  });

  it('recognises only its own topic names', () => {
    expect(isTopicName('stock.changed')).toBe(true);
    expect(isTopicName('stock-changed')).toBe(false);
    expect(isTopicName('toString')).toBe(false);
    expect(isTopicName(undefined)).toBe(false);
  });
});

describe('orderingKeyOf', () => {
  const buyNow = { source: 'buy-now', cart_id: null } as const;
  const expected: { [T in TopicName]: [PayloadOf<T>, string][] } = {
    'order-requested': [
      [EXAMPLES['order-requested'], CART_ID],
      [{ ...EXAMPLES['order-requested'], ...buyNow }, REQUEST_ID],
    ],
    'stock-available': [
      [EXAMPLES['stock-available'], CART_ID],
      [{ ...EXAMPLES['stock-available'], ...buyNow }, REQUEST_ID],
    ],
    'stock.rejected': [
      [EXAMPLES['stock.rejected'], CART_ID],
      [{ ...EXAMPLES['stock.rejected'], ...buyNow }, REQUEST_ID],
    ],
    'stock.changed': [[EXAMPLES['stock.changed'], 'TSHIRT-RED-M']],
    'order.created': [
      [EXAMPLES['order.created'], CART_ID],
      [{ ...EXAMPLES['order.created'], ...buyNow }, REQUEST_ID],
    ],
    'order.cancelled': [
      [EXAMPLES['order.cancelled'], CART_ID],
      [{ ...EXAMPLES['order.cancelled'], cart_id: null }, ORDER_ID],
    ],
    'reservation.expired': [[EXAMPLES['reservation.expired'], REQUEST_ID]],
    'product.upserted': [[EXAMPLES['product.upserted'], 'MUG-01']],
    'product.deleted': [[EXAMPLES['product.deleted'], 'MUG-01']],
    'customer.upserted': [[EXAMPLES['customer.upserted'], CUSTOMER_ID]],
    'customer.deleted': [[EXAMPLES['customer.deleted'], CUSTOMER_ID]],
    'email.requested': [[EXAMPLES['email.requested'], CUSTOMER_ID]],
    'email.delivered': [[EXAMPLES['email.delivered'], NOTIFICATION_ID]],
    'email.failed': [[EXAMPLES['email.failed'], NOTIFICATION_ID]],
    'push.requested': [[EXAMPLES['push.requested'], CUSTOMER_ID]],
    'push.delivered': [[EXAMPLES['push.delivered'], NOTIFICATION_ID]],
    'push.failed': [[EXAMPLES['push.failed'], NOTIFICATION_ID]],
  };

  it.each(TOPIC_NAMES)('keys %s by its aggregate id (cart_id, else request_id, order_id, sku, customer_id)', (topic) => {
    for (const [payload, key] of expected[topic]) expect(orderingKeyOf(topic, payload as never)).toBe(key);
  });
});

describe('parsePayload', () => {
  it('returns the parsed payload when it is valid', () => {
    const result = parsePayload('stock.changed', { sku: 'A', available: 3, version: 2, extra: true });
    expect(result).toEqual({ ok: true, payload: { sku: 'A', available: 3, version: 2 } });
    if (result.ok) {
      const available: number = result.payload.available;
      expect(available).toBe(3);
    }
  });

  it('returns the issues when it is not', () => {
    const result = parsePayload('stock.changed', { sku: 'A', available: -1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path.join('.')).sort()).toEqual(['available', 'version']);
  });
});
