import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import { useTestDatabase } from '@shop/testing';
import { notificationIdFor } from '../src/domain/notification-id';
import {
  historyOf,
  JOHN,
  knowCustomer,
  message,
  notificationById,
  notificationHarness,
  notificationsOf,
  orderCreated,
  snapshot,
  type NotificationHarness,
  type NotificationRecord,
} from './notification-test-kit';

let h: NotificationHarness;

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
  await knowCustomer(h, JOHN);
});

/** A fresh order confirmation for John: its e-mail and push notifications, both pending. */
async function freshNotifications(): Promise<{ email: NotificationRecord; push: NotificationRecord }> {
  const order = orderCreated(JOHN.customer_id);
  await h.deliver(message('order.created', order));
  const [email, push] = await notificationsOf(h.db, { orderId: order.order_id });
  return { email: email!, push: push! };
}

type OutcomeTopic = 'email.delivered' | 'email.failed' | 'push.delivered' | 'push.failed';

function outcome(topic: OutcomeTopic, notificationId: string, attempt: number, error?: string, occurredAt?: Date) {
  const payload: PayloadOf<OutcomeTopic> = { notification_id: notificationId, attempt, ...(error ? { error } : {}) };
  return message(topic, payload, { occurredAt });
}

describe('email.delivered, email.failed, push.delivered, push.failed', () => {
  it('email.delivered marks the e-mail sent, with sent_at the time of delivery and the attempt count', async () => {
    const { email, push } = await freshNotifications();
    const at = new Date(Date.now() + 5_123);
    expect(await h.deliver(outcome('email.delivered', email.notification_id, 1, undefined, at))).toEqual({ status: 'ack' });
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ status: 'sent', sent_at: at, attempts: 1, last_error: null });
    expect(await historyOf(h.db, email.notification_id)).toEqual([
      { outcome: 'requested', attempt: null, error: null },
      { outcome: 'delivered', attempt: 1, error: null },
    ]);
    expect((await notificationById(h.db, push.notification_id))!.status).toBe('pending');
  });

  it('email.failed marks it failed with the error and attempts; a later delivery still makes it sent', async () => {
    const { email } = await freshNotifications();
    await h.deliver(outcome('email.failed', email.notification_id, 3, 'connection refused'));
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ status: 'failed', attempts: 3, last_error: 'connection refused', sent_at: null });
    await h.deliver(outcome('email.delivered', email.notification_id, 4));
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ status: 'sent', attempts: 4, sent_at: expect.any(Date) });
    expect((await historyOf(h.db, email.notification_id)).map((e) => [e.outcome, e.attempt])).toEqual([
      ['requested', null],
      ['failed', 3],
      ['delivered', 4],
    ]);
  });

  it('push.failed and push.delivered update the push notification the same way', async () => {
    const { push } = await freshNotifications();
    await h.deliver(outcome('push.failed', push.notification_id, 1, 'no subscription'));
    expect(await notificationById(h.db, push.notification_id)).toMatchObject({ status: 'failed', attempts: 1, last_error: 'no subscription' });
    const other = (await freshNotifications()).push;
    await h.deliver(outcome('push.delivered', other.notification_id, 1));
    expect(await notificationById(h.db, other.notification_id)).toMatchObject({ status: 'sent', attempts: 1, sent_at: expect.any(Date) });
  });

  it('records a failure without a reason as one', async () => {
    const { email } = await freshNotifications();
    await h.deliver(outcome('email.failed', email.notification_id, 1));
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ status: 'failed', last_error: 'delivery failed (no reason given)' });
  });

  it('keeps a delivered notification sent when an earlier attempt’s failure arrives after it', async () => {
    const { email } = await freshNotifications();
    await h.deliver(outcome('email.delivered', email.notification_id, 2));
    await h.deliver(outcome('email.failed', email.notification_id, 1, 'timeout'));
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect((await historyOf(h.db, email.notification_id)).map((e) => e.outcome).sort()).toEqual(['delivered', 'failed', 'requested']);
  });

  it('keeps the error of the latest attempt when failures arrive out of order', async () => {
    const { email } = await freshNotifications();
    await h.deliver(outcome('email.failed', email.notification_id, 3, 'mailbox full'));
    await h.deliver(outcome('email.failed', email.notification_id, 2, 'greylisted'));
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ status: 'failed', attempts: 3, last_error: 'mailbox full' });
  });

  it('applies an outcome that arrived before its notification once the notification is created', async () => {
    const order = orderCreated(JOHN.customer_id);
    const created = message('order.created', order);
    const emailId = notificationIdFor(created.attributes['event_id']!, 'email');
    const at = new Date(Date.now() - 1_000);
    expect(await h.deliver(outcome('email.delivered', emailId, 1, undefined, at))).toEqual({ status: 'ack' });
    expect(await notificationById(h.db, emailId)).toBeUndefined();

    await h.deliver(created);
    expect(await notificationById(h.db, emailId)).toMatchObject({ status: 'sent', sent_at: at, attempts: 1 });
    expect((await historyOf(h.db, emailId)).map((e) => e.outcome)).toEqual(['delivered', 'requested']);
  });

  it('keeps an outcome that names a notification of the other channel in the history only', async () => {
    const { push } = await freshNotifications();
    await h.deliver(outcome('email.delivered', push.notification_id, 1));
    expect(await notificationById(h.db, push.notification_id)).toMatchObject({ status: 'pending', sent_at: null, attempts: 0 });
    expect((await historyOf(h.db, push.notification_id)).map((e) => e.outcome)).toEqual(['requested', 'delivered']);
  });

  it('changes nothing when an outcome is delivered twice', async () => {
    const { email } = await freshNotifications();
    const failed = outcome('email.failed', email.notification_id, 1, 'timeout');
    await h.deliver(failed);
    const before = await snapshot(h.db);
    expect(await h.deliver(failed)).toEqual({ status: 'ack', duplicate: true });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('dead-letters an invalid outcome and writes nothing', async () => {
    const { email } = await freshNotifications();
    const before = await snapshot(h.db);
    for (const topic of ['email.delivered', 'email.failed', 'push.delivered', 'push.failed'] as const) {
      const valid = outcome(topic, email.notification_id, 1);
      const invalid = { ...valid, data: JSON.stringify({ notification_id: email.notification_id, attempt: 0 }) };
      expect(await h.deliver(invalid)).toEqual({ status: 'dead-letter', reason: 'invalid_payload' });
    }
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('loses neither outcome when a delivery and a failure of the same e-mail are handled at the same moment', async () => {
    const emails = await Promise.all(Array.from({ length: 8 }, async () => (await freshNotifications()).email));
    await Promise.all(
      emails.flatMap((e) => [h.deliver(outcome('email.failed', e.notification_id, 1, 'timeout')), h.deliver(outcome('email.delivered', e.notification_id, 2))]),
    );
    for (const e of emails) expect(await notificationById(h.db, e.notification_id)).toMatchObject({ status: 'sent', attempts: 2 });
  });
});

describe('notifications for a customer whose address arrives at the same moment', () => {
  it('are always requested, however the order and customer events interleave', async () => {
    const customers = Array.from({ length: 12 }, () => {
      const id = randomUUID();
      return { customer_id: id, name: 'Racer', email: `${id.slice(0, 8)}@example.com` };
    });
    const orders = customers.map((c) => orderCreated(c.customer_id));
    await Promise.all(customers.flatMap((c, i) => [h.deliver(message('order.created', orders[i]!)), h.deliver(message('customer.upserted', c))]));
    for (const [i, order] of orders.entries()) {
      const [email] = await notificationsOf(h.db, { orderId: order.order_id });
      expect(email).toMatchObject({ recipient: customers[i]!.email, requested_at: expect.any(Date) });
      expect(await historyOf(h.db, email!.notification_id)).toEqual([{ outcome: 'requested', attempt: null, error: null }]);
    }
  });
});
