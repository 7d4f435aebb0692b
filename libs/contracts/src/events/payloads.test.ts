import { describe, expect, it } from 'vitest';
import { CART_ID, EXAMPLES } from '../examples.fixture';
import { TOPIC_NAMES, TOPICS } from '../topics';
import { CustomerUpsertedV1 } from './customer-upserted.v1';
import { EmailDeliveredV1 } from './email-delivered.v1';
import { EmailRequestedV1 } from './email-requested.v1';
import { OrderCancelledV1 } from './order-cancelled.v1';
import { OrderCreatedV1 } from './order-created.v1';
import { OrderRequestedV1 } from './order-requested.v1';
import { ProductUpsertedV1 } from './product-upserted.v1';
import { PushFailedV1 } from './push-failed.v1';
import { PushRequestedV1 } from './push-requested.v1';
import { ReservationExpiredV1 } from './reservation-expired.v1';
import { StockAvailableV1 } from './stock-available.v1';
import { StockChangedV1 } from './stock-changed.v1';
import { StockRejectedV1 } from './stock-rejected.v1';

const orderRequested = EXAMPLES['order-requested'];
const line = orderRequested.items[0]!;

/** The paths of the issues a schema reports for `input`, or `[]` when it accepts it. */
function problems(schema: { safeParse(input: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } }, input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success ? [] : (result.error?.issues ?? []).map((issue) => issue.path.map(String).join('.'));
}

function without<T extends object>(value: T, key: keyof T): Partial<T> {
  const copy: Partial<T> = { ...value };
  delete copy[key];
  return copy;
}

describe('v1 payload schemas', () => {
  it.each(TOPIC_NAMES)('%s accepts its example', (topic) => {
    expect(problems(TOPICS[topic].schema, EXAMPLES[topic])).toEqual([]);
  });

  it.each(TOPIC_NAMES)('%s refuses a payload with a required field missing', (topic) => {
    const example = EXAMPLES[topic] as Record<string, unknown>;
    const required = Object.keys(example).filter((key) => !TOPICS[topic].schema.safeParse({ ...example, [key]: undefined }).success);
    expect(required.length).toBeGreaterThan(0);
    for (const key of required) expect(problems(TOPICS[topic].schema, without(example, key))).toContain(key);
  });

  it.each(TOPIC_NAMES)('%s tolerates an unknown field from a newer producer and drops it', (topic) => {
    const result = TOPICS[topic].schema.safeParse({ ...EXAMPLES[topic], added_in_a_later_release: 'x' });
    expect(result.success).toBe(true);
    expect(result.data).not.toHaveProperty('added_in_a_later_release');
  });

  it.each(TOPIC_NAMES)('%s refuses something that is not an object', (topic) => {
    expect(TOPICS[topic].schema.safeParse(null).success).toBe(false);
    expect(TOPICS[topic].schema.safeParse([]).success).toBe(false);
  });
});

describe('OrderRequestedV1', () => {
  const withLine = (patch: object) => ({ ...orderRequested, items: [{ ...line, ...patch }] });

  it('refuses a negative, zero or fractional quantity', () => {
    expect(problems(OrderRequestedV1, withLine({ quantity: -1 }))).toEqual(['items.0.quantity']);
    expect(problems(OrderRequestedV1, withLine({ quantity: 0 }))).toEqual(['items.0.quantity']);
    expect(problems(OrderRequestedV1, withLine({ quantity: 1.5 }))).toEqual(['items.0.quantity']);
  });

  it('refuses fractional, negative or string cents', () => {
    expect(problems(OrderRequestedV1, withLine({ unit_price_cents: 19.99 }))).toEqual(['items.0.unit_price_cents']);
    expect(problems(OrderRequestedV1, withLine({ unit_price_cents: -1 }))).toEqual(['items.0.unit_price_cents']);
    expect(problems(OrderRequestedV1, withLine({ unit_price_cents: '1999' }))).toEqual(['items.0.unit_price_cents']);
  });

  it('accepts a free line (0 cents)', () => {
    expect(problems(OrderRequestedV1, withLine({ unit_price_cents: 0 }))).toEqual([]);
  });

  it('refuses a currency that is not three upper-case letters', () => {
    for (const currency of ['eur', 'EU', 'EURO', 'E1R', '']) {
      expect(problems(OrderRequestedV1, { ...orderRequested, currency })).toEqual(['currency']);
    }
  });

  it('refuses an empty, over-long or padded SKU', () => {
    expect(problems(OrderRequestedV1, withLine({ product_sku: '' }))).toContain('items.0.product_sku');
    expect(problems(OrderRequestedV1, withLine({ product_sku: 'X'.repeat(65) }))).toEqual(['items.0.product_sku']);
    expect(problems(OrderRequestedV1, withLine({ product_sku: 'X'.repeat(64) }))).toEqual([]);
    expect(problems(OrderRequestedV1, withLine({ product_sku: ' MUG-01' }))).toEqual(['items.0.product_sku']);
    expect(problems(OrderRequestedV1, withLine({ product_sku: 'MUG-01\n' }))).toEqual(['items.0.product_sku']);
  });

  it('refuses no lines, and the same SKU on two lines', () => {
    expect(problems(OrderRequestedV1, { ...orderRequested, items: [] })).toEqual(['items']);
    expect(problems(OrderRequestedV1, { ...orderRequested, items: [line, { ...line, quantity: 1 }] })).toEqual(['items.1.product_sku']);
  });

  it('refuses a cart checkout without its cart_id', () => {
    expect(problems(OrderRequestedV1, { ...orderRequested, cart_id: null })).toEqual(['cart_id']);
  });

  it('accepts buy now with a null cart_id and refuses it with one', () => {
    expect(problems(OrderRequestedV1, { ...orderRequested, source: 'buy-now', cart_id: null })).toEqual([]);
    expect(problems(OrderRequestedV1, { ...orderRequested, source: 'buy-now', cart_id: CART_ID })).toEqual(['cart_id']);
  });

  it('refuses an unknown source, a non-UUID id and a timestamp that is not UTC RFC 3339', () => {
    expect(problems(OrderRequestedV1, { ...orderRequested, source: 'wishlist' })).toEqual(['source']);
    expect(problems(OrderRequestedV1, { ...orderRequested, request_id: 'req-1' })).toEqual(['request_id']);
    expect(problems(OrderRequestedV1, { ...orderRequested, requested_at: '2026-11-24T19:00:00+01:00' })).toEqual(['requested_at']);
    expect(problems(OrderRequestedV1, { ...orderRequested, requested_at: '2026-11-24 18:00:00' })).toEqual(['requested_at']);
    expect(problems(OrderRequestedV1, { ...orderRequested, requested_at: 1764007200000 })).toEqual(['requested_at']);
  });
});

describe('StockAvailableV1', () => {
  it('applies the cart_id rule of the request it answers', () => {
    expect(problems(StockAvailableV1, { ...EXAMPLES['stock-available'], cart_id: null })).toEqual(['cart_id']);
    expect(problems(StockAvailableV1, { ...EXAMPLES['stock-available'], source: 'buy-now', cart_id: null })).toEqual([]);
  });

  it('accepts no expires_at (a message from before the field, in flight during the deploy) and refuses one that is not UTC RFC 3339', () => {
    expect(problems(StockAvailableV1, without(EXAMPLES['stock-available'], 'expires_at'))).toEqual([]);
    expect(problems(StockAvailableV1, { ...EXAMPLES['stock-available'], expires_at: '2026-11-24T19:15:00+01:00' })).toEqual(['expires_at']);
    expect(problems(StockAvailableV1, { ...EXAMPLES['stock-available'], expires_at: null })).toEqual(['expires_at']);
  });
});

describe('StockRejectedV1', () => {
  const example = EXAMPLES['stock.rejected'];

  it('accepts the three reasons and refuses any other', () => {
    expect(problems(StockRejectedV1, { ...example, reason: 'unknown_product', details: [{ product_sku: 'GONE', requested: 1, available: 0 }] })).toEqual([]);
    expect(problems(StockRejectedV1, { ...example, reason: 'reservation_expired', details: [] })).toEqual([]);
    expect(problems(StockRejectedV1, { ...example, reason: 'out_of_stock' })).toEqual(['reason']);
  });

  it('allows empty details only for reservation_expired, which must have none', () => {
    expect(problems(StockRejectedV1, { ...example, reason: 'unknown_product', details: [] })).toEqual(['details']);
    expect(problems(StockRejectedV1, { ...example, reason: 'reservation_expired', details: example.details })).toEqual(['details']);
  });

  it('refuses empty details, a negative available and a zero requested', () => {
    expect(problems(StockRejectedV1, { ...example, details: [] })).toEqual(['details']);
    expect(problems(StockRejectedV1, { ...example, details: [{ product_sku: 'A', requested: 1, available: -1 }] })).toEqual(['details.0.available']);
    expect(problems(StockRejectedV1, { ...example, details: [{ product_sku: 'A', requested: 0, available: 0 }] })).toEqual(['details.0.requested']);
  });

  it('refuses a cart rejection without its cart_id', () => {
    expect(problems(StockRejectedV1, { ...example, cart_id: null })).toEqual(['cart_id']);
  });
});

describe('ReservationExpiredV1', () => {
  const example = EXAMPLES['reservation.expired'];

  it('refuses no lines, a missing order_id and an expired_at that is not UTC RFC 3339', () => {
    expect(problems(ReservationExpiredV1, { ...example, items: [] })).toEqual(['items']);
    expect(problems(ReservationExpiredV1, without(example, 'order_id'))).toEqual(['order_id']);
    expect(problems(ReservationExpiredV1, { ...example, expired_at: '2026-11-24 18:15:30' })).toEqual(['expired_at']);
  });
});

describe('StockChangedV1', () => {
  it('accepts available 0 and refuses a negative available, version 0 or a fractional version', () => {
    expect(problems(StockChangedV1, { sku: 'A', available: 0, version: 1 })).toEqual([]);
    expect(problems(StockChangedV1, { sku: 'A', available: -1, version: 1 })).toEqual(['available']);
    expect(problems(StockChangedV1, { sku: 'A', available: 1, version: 0 })).toEqual(['version']);
    expect(problems(StockChangedV1, { sku: 'A', available: 1, version: 1.5 })).toEqual(['version']);
  });
});

describe('OrderCreatedV1', () => {
  const example = EXAMPLES['order.created'];

  it('refuses a status other than confirmed, and float total_cents', () => {
    expect(problems(OrderCreatedV1, { ...example, status: 'cancelled' })).toEqual(['status']);
    expect(problems(OrderCreatedV1, { ...example, total_cents: 48.48 })).toEqual(['total_cents']);
  });

  it('accepts a buy-now order without a cart', () => {
    expect(problems(OrderCreatedV1, { ...example, source: 'buy-now', cart_id: null })).toEqual([]);
  });
});

describe('OrderCancelledV1', () => {
  it('accepts a null cart_id (a buy-now order) and refuses an empty reason', () => {
    expect(problems(OrderCancelledV1, { ...EXAMPLES['order.cancelled'], cart_id: null })).toEqual([]);
    expect(problems(OrderCancelledV1, { ...EXAMPLES['order.cancelled'], reason: '' })).toEqual(['reason']);
  });
});

describe('ProductUpsertedV1', () => {
  it('refuses a lower-case currency, float price and a non-boolean active', () => {
    const example = EXAMPLES['product.upserted'];
    expect(problems(ProductUpsertedV1, { ...example, currency: 'eur' })).toEqual(['currency']);
    expect(problems(ProductUpsertedV1, { ...example, price_cents: 8.5 })).toEqual(['price_cents']);
    expect(problems(ProductUpsertedV1, { ...example, active: 'true' })).toEqual(['active']);
  });
});

describe('CustomerUpsertedV1 and EmailRequestedV1', () => {
  it('refuse an address that is not an e-mail', () => {
    expect(problems(CustomerUpsertedV1, { ...EXAMPLES['customer.upserted'], email: 'john' })).toEqual(['email']);
    expect(problems(EmailRequestedV1, { ...EXAMPLES['email.requested'], to: 'john@' })).toEqual(['to']);
  });
});

describe('PushRequestedV1', () => {
  it('accepts no url, an https URL or a same-origin path, and refuses anything else', () => {
    const example = EXAMPLES['push.requested'];
    expect(problems(PushRequestedV1, without(example, 'url'))).toEqual([]);
    expect(problems(PushRequestedV1, { ...example, url: 'https://shop.example.com/orders/1' })).toEqual([]);
    expect(problems(PushRequestedV1, { ...example, url: 'javascript:alert(1)' })).toEqual(['url']);
    expect(problems(PushRequestedV1, { ...example, url: '//evil.example.com/' })).toEqual(['url']);
  });
});

describe('delivery outcomes', () => {
  it('refuse attempt 0 and accept an optional error and message_id', () => {
    expect(problems(EmailDeliveredV1, { ...EXAMPLES['email.delivered'], attempt: 0 })).toEqual(['attempt']);
    expect(problems(EmailDeliveredV1, { notification_id: EXAMPLES['email.delivered'].notification_id, attempt: 1 })).toEqual([]);
    expect(problems(PushFailedV1, { ...EXAMPLES['push.failed'], error: 42 })).toEqual(['error']);
  });
});
