import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import { useTestDatabase } from '@shop/testing';
import { NO_PUSH_SUBSCRIPTION } from '../src/domain/delivery-status';
import { notificationIdFor } from '../src/domain/notification-id';
import {
  deadLetters,
  eventIdOf,
  historyOf,
  JOHN,
  knowCustomer,
  message,
  notificationById,
  notificationHarness,
  notificationsOf,
  orderCreated,
  outboxSize,
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
    const gone = '1 gone of 1 subscription(s); last: 410 push subscription has unsubscribed or expired';
    await h.deliver(outcome('push.failed', push.notification_id, 1, gone));
    expect(await notificationById(h.db, push.notification_id)).toMatchObject({ status: 'failed', attempts: 1, last_error: gone });
    expect((await historyOf(h.db, push.notification_id)).map((e) => [e.outcome, e.error])).toEqual([
      ['requested', null],
      ['failed', gone],
    ]);
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
    const emailId = notificationIdFor(`order.created/${order.order_id}`, 'email');
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

async function processedCount(eventId: string): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM notification.processed_messages WHERE event_id = $1::uuid', [eventId]);
  return rows[0]!.n;
}

describe('push.failed marked no_subscription (a push the customer cannot receive)', () => {
  it('deletes the push notification and its history, together with the processed row, and leaves the e-mail alone', async () => {
    const { email, push } = await freshNotifications();
    const failed = outcome('push.failed', push.notification_id, 1, NO_PUSH_SUBSCRIPTION);
    expect(await h.deliver(failed)).toEqual({ status: 'ack' });
    expect(await notificationById(h.db, push.notification_id)).toBeUndefined();
    expect(await historyOf(h.db, push.notification_id)).toEqual([]);
    expect(await processedCount(eventIdOf(failed))).toBe(1);
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ channel: 'email', status: 'pending' });
    expect(await historyOf(h.db, email.notification_id)).toEqual([{ outcome: 'requested', attempt: null, error: null }]);
  });

  it('is recognised by its no_subscription code, whatever the wording after it', async () => {
    const { push } = await freshNotifications();
    await h.deliver(outcome('push.failed', push.notification_id, 1, 'no_subscription: nobody subscribed'));
    expect(await notificationById(h.db, push.notification_id)).toBeUndefined();
  });

  it('changes nothing when delivered twice', async () => {
    const { push } = await freshNotifications();
    const failed = outcome('push.failed', push.notification_id, 1, NO_PUSH_SUBSCRIPTION);
    await h.deliver(failed);
    const before = await snapshot(h.db);
    expect(await h.deliver(failed)).toEqual({ status: 'ack', duplicate: true });
    expect(await snapshot(h.db)).toEqual(before);
  });

  it('acknowledges a late push.delivered or push.failed for the deleted notification and writes nothing', async () => {
    const { push } = await freshNotifications();
    await h.deliver(outcome('push.failed', push.notification_id, 1, NO_PUSH_SUBSCRIPTION));
    const before = await snapshot(h.db);
    const deadBefore = (await deadLetters(h.db)).length;
    for (const late of [
      outcome('push.delivered', push.notification_id, 2),
      outcome('push.failed', push.notification_id, 2, '1 rejected of 1 subscription(s); last: 403 Forbidden'),
      outcome('push.failed', push.notification_id, 1, NO_PUSH_SUBSCRIPTION),
    ]) {
      expect(await h.deliver(late)).toEqual({ status: 'ack' });
    }
    expect(await snapshot(h.db)).toEqual(before);
    expect(await deadLetters(h.db)).toHaveLength(deadBefore);
  });

  it('loses no notification and writes no history when a late outcome is handled at the same moment as the deletion', async () => {
    const pushes = await Promise.all(Array.from({ length: 8 }, async () => (await freshNotifications()).push));
    await Promise.all(
      pushes.flatMap((p) => [h.deliver(outcome('push.failed', p.notification_id, 1, NO_PUSH_SUBSCRIPTION)), h.deliver(outcome('push.delivered', p.notification_id, 1))]),
    );
    for (const p of pushes) {
      // Either order is fine: deleted (the late delivery found nothing), or sent (the failure came after a delivery).
      const row = await notificationById(h.db, p.notification_id);
      if (row) expect(row).toMatchObject({ status: 'sent' });
      else expect(await historyOf(h.db, p.notification_id)).toEqual([]);
    }
  });

  it('never deletes a push notification a browser already took', async () => {
    const { push } = await freshNotifications();
    await h.deliver(outcome('push.delivered', push.notification_id, 1));
    expect(await h.deliver(outcome('push.failed', push.notification_id, 1, NO_PUSH_SUBSCRIPTION))).toEqual({ status: 'ack' });
    expect(await notificationById(h.db, push.notification_id)).toMatchObject({ status: 'sent', sent_at: expect.any(Date) });
  });

  it('does not delete an e-mail notification it names by mistake', async () => {
    const { email } = await freshNotifications();
    await h.deliver(outcome('push.failed', email.notification_id, 1, NO_PUSH_SUBSCRIPTION));
    expect(await notificationById(h.db, email.notification_id)).toMatchObject({ channel: 'email', status: 'pending' });
    expect((await historyOf(h.db, email.notification_id)).map((e) => e.outcome)).toEqual(['requested', 'failed']);
  });

  it('keeps the push notification deleted when the event that caused it is handled again after its processed row is gone', async () => {
    const order = orderCreated(JOHN.customer_id);
    const created = message('order.created', order);
    await h.deliver(created);
    const pushId = notificationIdFor(`order.created/${order.order_id}`, 'push');
    await h.deliver(outcome('push.failed', pushId, 1, NO_PUSH_SUBSCRIPTION));
    await h.db.pool.query('DELETE FROM notification.processed_messages WHERE event_id = $1::uuid', [eventIdOf(created)]);
    const before = await outboxSize(h.db);
    expect(await h.deliver(created)).toEqual({ status: 'ack' });
    expect(await outboxSize(h.db)).toBe(before);
    expect((await notificationsOf(h.db, { orderId: order.order_id })).map((n) => n.channel)).toEqual(['email']);
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
