import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@shop/testing';
import { CUSTOMER_DELETED } from '../src/domain/notify';
import { DELETED_BEFORE_ADDRESS } from '../src/domain/customers';
import {
  historyOf,
  knowCustomer,
  message,
  notificationHarness,
  notificationsOf,
  orderCreated,
  outbox,
  outboxSize,
  snapshot,
  type NotificationHarness,
} from './notification-test-kit';

let h: NotificationHarness;

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
});

function newCustomer(name = 'Grace Hopper') {
  const id = randomUUID();
  return { customer_id: id, name, email: `${id.slice(0, 8)}@example.com` };
}

async function readModel(customerId: string) {
  const { rows } = await h.db.pool.query('SELECT name, email, deleted_at FROM notification.customers WHERE customer_id = $1::uuid', [customerId]);
  return rows[0];
}

// How the read model behaves (ordering, ties, duplicates, concurrency) is the shared suite's, in read-models.test.ts;
// here only what this service does with it: the e-mails of a customer whose address it learns or forgets.
describe('customer.upserted and customer.deleted', () => {
  it('dead-letter invalid payloads and write nothing', async () => {
    const before = await snapshot(h.db);
    const upsert = message('customer.upserted', newCustomer());
    expect(await h.deliver({ ...upsert, data: JSON.stringify({ ...JSON.parse(upsert.data as string), email: 'not-an-address' }) })).toEqual({
      status: 'dead-letter',
      reason: 'invalid_payload',
    });
    const deleted = message('customer.deleted', { customer_id: randomUUID() });
    expect(await h.deliver({ ...deleted, data: JSON.stringify({ customer_id: 'someone' }) })).toEqual({ status: 'dead-letter', reason: 'invalid_payload' });
    expect(await snapshot(h.db)).toEqual(before);
  });
});

describe('a customer the service does not know yet', () => {
  it('gets push at once and an e-mail kept pending, requested when customer.upserted brings the address', async () => {
    const customer = newCustomer('Ada Lovelace');
    const order = orderCreated(customer.customer_id);
    const before = await outboxSize(h.db);
    await h.deliver(message('order.created', order));

    const [email, push] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(email).toMatchObject({ channel: 'email', status: 'pending', recipient: null, requested_at: null });
    expect(email!.text.startsWith('Hello,\n')).toBe(true);
    expect(push).toMatchObject({ channel: 'push', status: 'pending', requested_at: expect.any(Date) });
    expect((await outbox(h.db, before)).map((e) => e.topic)).toEqual(['push.requested']);
    expect(await historyOf(h.db, email!.notification_id)).toEqual([]);

    await knowCustomer(h, customer);
    const [released] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(released).toMatchObject({ status: 'pending', recipient: customer.email, requested_at: expect.any(Date) });
    expect(released!.text.startsWith('Hello Ada Lovelace,\n')).toBe(true);
    const events = await outbox(h.db, before);
    expect(events.map((e) => e.topic)).toEqual(['push.requested', 'email.requested']);
    expect(events[1]!.payload).toMatchObject({ notification_id: email!.notification_id, to: customer.email, text: released!.text });
    expect(events[1]!.attributes['correlation_id']).toBe(order.cart_id);
    expect(await historyOf(h.db, email!.notification_id)).toEqual([{ outcome: 'requested', attempt: null, error: null }]);

    // A later change of address does not send the e-mail again.
    const after = await outboxSize(h.db);
    await knowCustomer(h, { ...customer, email: 'ada@example.com' });
    expect(await outboxSize(h.db)).toBe(after);
  });

  it('has the waiting e-mail failed when it is deleted before its address arrived', async () => {
    const customer = newCustomer();
    const order = orderCreated(customer.customer_id);
    await h.deliver(message('order.created', order));
    await h.deliver(message('customer.deleted', { customer_id: customer.customer_id }));
    const [email, push] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(email).toMatchObject({ status: 'failed', last_error: DELETED_BEFORE_ADDRESS, attempts: 0 });
    expect(push!.status).toBe('pending');
  });

  it('gets notifications created failed, and nothing published, once deleted', async () => {
    const customer = newCustomer();
    await knowCustomer(h, customer);
    await h.deliver(message('customer.deleted', { customer_id: customer.customer_id }));
    const before = await outboxSize(h.db);
    const order = orderCreated(customer.customer_id);
    await h.deliver(message('order.created', order));
    expect((await notificationsOf(h.db, { orderId: order.order_id })).map((n) => [n.channel, n.status, n.last_error])).toEqual([
      ['email', 'failed', CUSTOMER_DELETED],
      ['push', 'failed', CUSTOMER_DELETED],
    ]);
    expect(await outboxSize(h.db)).toBe(before);
  });
});

// The customer service may create a deleted customer again with its id (the seed does, on every start).
describe('a customer created again after its deletion', () => {
  it('is accepted again and e-mailed at its new address, while what was sent while it was deleted stays failed', async () => {
    const customer = newCustomer();
    const t0 = Date.now();
    await h.deliver(message('customer.upserted', customer, { occurredAt: new Date(t0) }));
    await h.deliver(message('customer.deleted', { customer_id: customer.customer_id }, { occurredAt: new Date(t0 + 1000) }));
    const whileDeleted = orderCreated(customer.customer_id);
    await h.deliver(message('order.created', whileDeleted));
    const again = { ...customer, name: 'Grace Again', email: `again.${customer.email}` };
    expect(await h.deliver(message('customer.upserted', again, { occurredAt: new Date(t0 + 2000) }))).toEqual({ status: 'ack' });
    expect((await h.app.request('/notifications', { headers: { 'X-Customer-Id': customer.customer_id } })).status).toBe(200);

    const before = await outboxSize(h.db);
    const order = orderCreated(customer.customer_id);
    await h.deliver(message('order.created', order));
    const [email] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(email).toMatchObject({ channel: 'email', status: 'pending', recipient: again.email, requested_at: expect.any(Date) });
    expect(email!.text.startsWith('Hello Grace Again,\n')).toBe(true);
    const events = await outbox(h.db, before);
    expect(events.map((e) => e.topic)).toEqual(['email.requested', 'push.requested']);
    expect(events[0]!.payload).toMatchObject({ notification_id: email!.notification_id, to: again.email });
    expect((await notificationsOf(h.db, { orderId: whileDeleted.order_id })).map((n) => [n.channel, n.status])).toEqual([
      ['email', 'failed'],
      ['push', 'failed'],
    ]);
  });

  it('keeps its waiting e-mail released when the older customer.deleted is handled after the re-creation', async () => {
    const customer = newCustomer();
    const t0 = Date.now();
    const order = orderCreated(customer.customer_id);
    await h.deliver(message('order.created', order));
    await h.deliver(message('customer.upserted', customer, { occurredAt: new Date(t0 + 2000) }));
    expect(await h.deliver(message('customer.deleted', { customer_id: customer.customer_id }, { occurredAt: new Date(t0 + 1000) }))).toEqual({ status: 'ack' });
    const [email] = await notificationsOf(h.db, { orderId: order.order_id });
    expect(email).toMatchObject({ status: 'pending', recipient: customer.email, requested_at: expect.any(Date) });
    expect(await readModel(customer.customer_id)).toEqual({ name: customer.name, email: customer.email, deleted_at: null });
    expect((await h.app.request('/notifications', { headers: { 'X-Customer-Id': customer.customer_id } })).status).toBe(200);
  });
});
