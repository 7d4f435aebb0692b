import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@shop/testing';
import { notificationIdFor } from '../src/domain/notification-id';
import {
  deadLetters,
  eventIdOf,
  JANE,
  JOHN,
  knowCustomer,
  message,
  notificationHarness,
  notificationsOf,
  orderCancelled,
  orderCreated,
  outbox,
  outboxSize,
  snapshot,
  type NotificationHarness,
} from './notification-test-kit';

let h: NotificationHarness;

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
  await knowCustomer(h, JOHN);
  await knowCustomer(h, JANE);
});

describe('order.created', () => {
  it('creates an e-mail and a push notification, pending, and publishes both requests in the same transaction', async () => {
    const before = await outboxSize(h.db);
    const order = orderCreated(JOHN.customer_id);
    const m = message('order.created', order);
    expect(await h.deliver(m)).toEqual({ status: 'ack' });

    const [email, push] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(email).toMatchObject({
      notification_id: notificationIdFor(`order.created/${order.order_id}`, 'email'),
      customer_id: JOHN.customer_id,
      type: 'order_confirmed',
      channel: 'email',
      status: 'pending',
      recipient: JOHN.email,
      attempts: 0,
      last_error: null,
      sent_at: null,
      subject: `Your order ${order.order_id.slice(0, 8).toUpperCase()} is confirmed`,
    });
    expect(push).toMatchObject({ channel: 'push', status: 'pending', url: `/orders/${order.order_id}`, subject: `Order ${order.order_id.slice(0, 8).toUpperCase()} confirmed` });

    const events = await outbox(h.db, before);
    expect(events.map((e) => e.topic)).toEqual(['email.requested', 'push.requested']);
    expect(events[0]!.payload).toEqual({
      notification_id: email!.notification_id,
      customer_id: JOHN.customer_id,
      to: JOHN.email,
      subject: email!.subject,
      text: email!.text,
      html: email!.html,
    });
    expect(events[0]!.attributes).toMatchObject({ event_type: 'email.requested', producer: 'notification', correlation_id: order.cart_id });
    expect(events[1]!.payload).toEqual({
      notification_id: push!.notification_id,
      customer_id: JOHN.customer_id,
      title: push!.subject,
      text: push!.text,
      url: `/orders/${order.order_id}`,
    });
  });

  it("carries a buy-now's request id as the correlation id of what it requests, for the confirmation and a later cancellation", async () => {
    const order = orderCreated(JANE.customer_id, { source: 'buy-now', cart_id: null });
    const before = await outboxSize(h.db);
    expect(await h.deliver(message('order.created', order))).toEqual({ status: 'ack' });
    expect(await h.deliver(message('order.cancelled', orderCancelled(order)))).toEqual({ status: 'ack' });
    const events = await outbox(h.db, before);
    expect(events.map((e) => [e.topic, e.attributes['correlation_id']])).toEqual([
      ['email.requested', order.request_id],
      ['push.requested', order.request_id],
      ['email.requested', order.request_id],
      ['push.requested', order.request_id],
    ]);
  });

  it('renders the lines, the unit prices, the line amounts and the total in the order currency', async () => {
    const order = orderCreated(JANE.customer_id, {
      items: [
        { product_sku: 'HOODIE-GREY-L', quantity: 3, unit_price_cents: 4999 },
        { product_sku: 'STICKER-PACK', quantity: 1, unit_price_cents: 499 },
      ],
      total_cents: 15_496,
      currency: 'USD',
    });
    await h.deliver(message('order.created', order));
    const [email, push] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(email!.text).toContain('Hello Jane Doe,');
    expect(email!.text).toMatch(/3 × HOODIE-GREY-L\s+at \$49\.99\s+\$149\.97/);
    expect(email!.text).toMatch(/1 × STICKER-PACK\s+at \$4\.99\s+\$4\.99/);
    expect(email!.text).toContain('Total: $154.96');
    expect(email!.html).toContain('<td style="padding:8px 12px;border-bottom:1px solid #e5e7eb;text-align:left">HOODIE-GREY-L</td>');
    expect(email!.html).toContain('$149.97');
    expect(email!.html).toContain('$154.96');
    expect(push!.text).toBe('4 items, total $154.96. Thank you!');
  });

  it('changes nothing when the same event is delivered again', async () => {
    const m = message('order.created', orderCreated(JOHN.customer_id));
    expect(await h.deliver(m)).toEqual({ status: 'ack' });
    const before = await snapshot(h.db);
    expect(await h.deliver(m)).toEqual({ status: 'ack', duplicate: true });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('creates and publishes nothing more when the event is handled again after its processed row is gone', async () => {
    const order = orderCreated(JOHN.customer_id);
    const m = message('order.created', order);
    await h.deliver(m);
    await h.db.pool.query('DELETE FROM notification.processed_messages WHERE event_id = $1::uuid', [eventIdOf(m)]);
    const before = await outboxSize(h.db);
    expect(await h.deliver(m)).toEqual({ status: 'ack' });
    expect(await outboxSize(h.db)).toBe(before);
    expect(await notificationsOf(h.db, { orderId: order.order_id })).toHaveLength(2);
  });

  it('confirms an order once when its order.created comes again under another event id (a repeated question answered again)', async () => {
    const order = orderCreated(JOHN.customer_id);
    expect(await h.deliver(message('order.created', order))).toEqual({ status: 'ack' });
    const before = await snapshot(h.db);
    expect(await h.deliver(message('order.created', order))).toEqual({ status: 'ack' });
    expect(await snapshot(h.db)).toEqual(before);
    expect(await notificationsOf(h.db, { orderId: order.order_id })).toHaveLength(2);
  });

  it('dead-letters an invalid payload at once and writes nothing', async () => {
    const valid = message('order.created', orderCreated(JOHN.customer_id));
    const invalid = { ...valid, data: JSON.stringify({ ...JSON.parse(valid.data as string), total_cents: 48.48 }) };
    const before = await snapshot(h.db);
    expect(await h.deliver(invalid)).toEqual({ status: 'dead-letter', reason: 'invalid_payload' });
    expect(await snapshot(h.db)).toEqual(before);
    expect(await deadLetters(h.db)).toContainEqual({ subscription: 'notification.order.created', reason: 'invalid_payload' });
  });

  it('sends no confirmation for an order whose cancellation was already notified', async () => {
    const order = orderCreated(JOHN.customer_id);
    await h.deliver(message('order.cancelled', orderCancelled(order)));
    const before = await outboxSize(h.db);
    expect(await h.deliver(message('order.created', order))).toEqual({ status: 'ack' });
    expect((await notificationsOf(h.db, { orderId: order.order_id })).map((n) => n.type)).toEqual(['order_cancelled', 'order_cancelled']);
    expect(await outboxSize(h.db)).toBe(before);
  });
});

describe('order.cancelled', () => {
  it('notifies by e-mail and push with the reason, the lines and their total in the currency of the confirmation', async () => {
    const order = orderCreated(JOHN.customer_id);
    await h.deliver(message('order.created', order));
    const before = await outboxSize(h.db);
    expect(await h.deliver(message('order.cancelled', orderCancelled(order, 'Payment <declined>')))).toEqual({ status: 'ack' });

    const cancelled = (await notificationsOf(h.db, { orderId: order.order_id })).filter((n) => n.type === 'order_cancelled');
    expect(cancelled.map((n) => [n.channel, n.status])).toEqual([
      ['email', 'pending'],
      ['push', 'pending'],
    ]);
    const [email, push] = cancelled;
    expect(email!.subject).toBe(`Your order ${order.order_id.slice(0, 8).toUpperCase()} has been cancelled`);
    expect(email!.text).toContain('Reason: Payment <declined>');
    expect(email!.text).toMatch(/2 × TSHIRT-RED-M\s+at €19\.99\s+€39\.98/);
    expect(email!.text).toContain('Order total: €48.48');
    expect(email!.html).toContain('Payment &lt;declined&gt;');
    expect(email!.html).not.toContain('<declined>');
    expect(push!.text).toBe('Reason: Payment <declined>');
    expect((await outbox(h.db, before)).map((e) => e.topic)).toEqual(['email.requested', 'push.requested']);
  });

  it('shows amounts without a currency when the confirmation was never seen', async () => {
    const order = orderCreated(JANE.customer_id);
    await h.deliver(message('order.cancelled', orderCancelled(order)));
    const [email] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(email!.text).toContain('Order total: 48.48');
    expect(email!.text).not.toMatch(/[€$]/);
  });

  it('notifies once per order: the same order.cancelled published again under a new event id changes nothing', async () => {
    const order = orderCreated(JOHN.customer_id);
    const cancelled = orderCancelled(order);
    await h.deliver(message('order.cancelled', cancelled));
    const before = await snapshot(h.db);
    expect(await h.deliver(message('order.cancelled', cancelled))).toEqual({ status: 'ack' });
    expect(await snapshot(h.db)).toEqual(before);
    expect((await notificationsOf(h.db, { orderId: order.order_id })).map((n) => n.type)).toEqual(['order_cancelled', 'order_cancelled']);
  });

  it('changes nothing when delivered twice', async () => {
    const m = message('order.cancelled', orderCancelled(orderCreated(JOHN.customer_id)));
    await h.deliver(m);
    const before = await snapshot(h.db);
    expect(await h.deliver(m)).toEqual({ status: 'ack', duplicate: true });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('dead-letters an invalid payload and writes nothing', async () => {
    const valid = message('order.cancelled', orderCancelled(orderCreated(JOHN.customer_id)));
    const invalid = { ...valid, data: JSON.stringify({ ...JSON.parse(valid.data as string), reason: '' }) };
    const before = await snapshot(h.db);
    expect(await h.deliver(invalid)).toEqual({ status: 'dead-letter', reason: 'invalid_payload' });
    expect(await snapshot(h.db)).toEqual(before);
  });
});
