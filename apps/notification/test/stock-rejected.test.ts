import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@shop/testing';
import {
  deadLetters,
  JOHN,
  knowCustomer,
  message,
  notificationHarness,
  notificationsOf,
  outbox,
  outboxSize,
  snapshot,
  stockRejected,
  type NotificationHarness,
} from './notification-test-kit';

let h: NotificationHarness;

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
  await knowCustomer(h, JOHN);
});

/** The notifications made for one rejection (they carry no order id): the newest two of the customer. */
async function latestTwo(customerId: string) {
  return (await notificationsOf(h.db, { customerId })).slice(-2);
}

describe('stock.rejected', () => {
  it('notifies by e-mail and push with every line that could not be served, and publishes both requests', async () => {
    const before = await outboxSize(h.db);
    const rejection = stockRejected(JOHN.customer_id, {
      details: [
        { product_sku: 'TSHIRT-RED-M', requested: 2, available: 1 },
        { product_sku: 'LIMITED-SNEAKER', requested: 3, available: 0 },
      ],
    });
    expect(await h.deliver(message('stock.rejected', rejection))).toEqual({ status: 'ack' });
    const [email, push] = await latestTwo(JOHN.customer_id);
    expect(email).toMatchObject({ type: 'stock_rejected', channel: 'email', status: 'pending', order_id: null, subject: 'We could not place your order' });
    expect(email!.text).toContain('TSHIRT-RED-M: requested 2, available 1');
    expect(email!.text).toContain('LIMITED-SNEAKER: requested 3, available 0');
    expect(email!.text).toContain('Your cart is open again');
    expect(email!.html).toContain('LIMITED-SNEAKER');
    expect(push).toMatchObject({ channel: 'push', url: '/cart', text: 'Not available: TSHIRT-RED-M (1 of 2), LIMITED-SNEAKER (0 of 3)' });

    const events = await outbox(h.db, before);
    expect(events.map((e) => [e.topic, e.attributes['correlation_id']])).toEqual([
      ['email.requested', rejection.cart_id],
      ['push.requested', rejection.cart_id],
    ]);
    expect(events[0]!.payload).toMatchObject({ to: JOHN.email, subject: 'We could not place your order' });
  });

  it('points a buy-now rejection at its request and says the products are no longer sold when they are unknown', async () => {
    const requestId = randomUUID();
    await h.deliver(
      message(
        'stock.rejected',
        stockRejected(JOHN.customer_id, { source: 'buy-now', cart_id: null, request_id: requestId, reason: 'unknown_product', details: [{ product_sku: 'GONE-01', requested: 1, available: 0 }] }),
      ),
    );
    const [email, push] = await latestTwo(JOHN.customer_id);
    expect(email!.text).toContain('GONE-01: requested 1, no longer sold');
    expect(email!.text).not.toContain('cart');
    expect(push!.url).toBe(`/orders/requests/${requestId}`);
  });

  it('changes nothing when delivered twice', async () => {
    const m = message('stock.rejected', stockRejected(JOHN.customer_id));
    await h.deliver(m);
    const before = await snapshot(h.db);
    expect(await h.deliver(m)).toEqual({ status: 'ack', duplicate: true });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('tells the customer once when the rejection of one request comes again under another event id (inventory answering a repeat)', async () => {
    const rejection = stockRejected(JOHN.customer_id);
    await h.deliver(message('stock.rejected', rejection));
    const before = await snapshot(h.db);
    expect(await h.deliver(message('stock.rejected', rejection))).toEqual({ status: 'ack' });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('tells a customer whose reservation expired before the order was placed, once', async () => {
    const rejection = stockRejected(JOHN.customer_id, { reason: 'reservation_expired', details: [] });
    expect(await h.deliver(message('stock.rejected', rejection))).toEqual({ status: 'ack' });
    const [email, push] = await latestTwo(JOHN.customer_id);
    expect(email!.text).toContain('the hold ran out before your order could be placed');
    expect(push).toMatchObject({ channel: 'push', url: '/cart' });
  });

  it('dead-letters an invalid payload and writes nothing', async () => {
    const valid = message('stock.rejected', stockRejected(JOHN.customer_id));
    const invalid = { ...valid, data: JSON.stringify({ ...JSON.parse(valid.data as string), reason: 'out_of_stock' }) };
    const before = await snapshot(h.db);
    expect(await h.deliver(invalid)).toEqual({ status: 'dead-letter', reason: 'invalid_payload' });
    expect(await snapshot(h.db)).toEqual(before);
    expect(await deadLetters(h.db)).toEqual([{ subscription: 'notification.stock.rejected', reason: 'invalid_payload' }]);
  });
});
