import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { subscriptionsOf } from '@shop/contracts';
import type { IncomingMessage } from '@shop/events';
import { testAppContext } from '@shop/service/test';
import { json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { pushHandlers } from '../src/events/handlers';
import { fakeBrowser, notificationRow, pushConsumer, pushPayloadOf, specOf, subscriptionEndpoints, wireMessage } from './push-test-kit';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  app = createApp(testAppContext('push', db)).app;
});

const upserted = (id: string) => wireMessage('customer.upserted', { customer_id: id, name: 'Ada', email: `${id}@example.com` }, 'customer');
const deleted = (id: string) => wireMessage('customer.deleted', { customer_id: id }, 'customer');
const subscribeAs = (id: string) =>
  app.request('/subscriptions', json('POST', { endpoint: `https://fcm.googleapis.com/fcm/send/${randomUUID()}`, keys: fakeBrowser().keys }, { 'X-Customer-Id': id }));

async function count(table: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

describe('push handlers', () => {
  it('handle every topic the topology routes to push', () => {
    expect(pushHandlers().map((h) => h.topic).sort()).toEqual(subscriptionsOf('push').map((s) => s.topic).sort());
    expect(testAppContext('push', db, { handlers: pushHandlers() }).events.unhandledTopics()).toEqual([]);
  });
});

describe('customer.upserted and customer.deleted', () => {
  it('make a customer known (its X-Customer-Id accepted), then unknown with its subscriptions gone', async () => {
    const id = randomUUID();
    const consumer = pushConsumer(db);
    expect((await subscribeAs(id)).status).toBe(401);
    expect(await consumer.deliver(specOf('customer.upserted'), [upserted(id)])).toEqual([{ status: 'ack' }]);
    expect((await subscribeAs(id)).status).toBe(201);
    expect((await subscribeAs(id)).status).toBe(201);
    expect(await subscriptionEndpoints(db, id)).toHaveLength(2);

    expect(await consumer.deliver(specOf('customer.deleted'), [deleted(id)])).toEqual([{ status: 'ack' }]);
    expect(await subscriptionEndpoints(db, id)).toEqual([]);
    expect((await subscribeAs(id)).status).toBe(401);
  });

  it('dead-letter an invalid payload without changing anything', async () => {
    const consumer = pushConsumer(db);
    const before = await count('push.customers');
    const bad = { ...upserted(randomUUID()), data: JSON.stringify({ customer_id: 'nope', name: '', email: 'x' }) };
    expect(await consumer.deliver(specOf('customer.upserted'), [bad])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    const badDelete = { ...deleted(randomUUID()), data: JSON.stringify({}) };
    expect(await consumer.deliver(specOf('customer.deleted'), [badDelete])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await count('push.customers')).toBe(before);
  });
});

// How the read model behaves (ordering, ties, duplicates, concurrency) is the shared suite's, in read-models.test.ts;
// here only what push does with it: a deletion forgets the customer's browsers, unless the customer was created again
// since (customer.upserted and customer.deleted travel on different subscriptions: either may be handled first).
describe('customer.upserted and customer.deleted out of order', () => {
  /** The message as the customer service sent it at `occurredAt`. */
  const sentAt = (occurredAt: string, message: IncomingMessage): IncomingMessage => ({ ...message, attributes: { ...message.attributes, occurred_at: occurredAt } });
  const upsertedAt = (occurredAt: string, id: string) => sentAt(occurredAt, upserted(id));
  const deletedAt = (occurredAt: string, id: string) => sentAt(occurredAt, deleted(id));

  it('keeps a customer created again, and its browsers, when the older customer.deleted is handled last', async () => {
    const id = randomUUID();
    const consumer = pushConsumer(db);
    await consumer.deliver(specOf('customer.upserted'), [upsertedAt('2030-01-01T10:00:00.000Z', id)]);
    await consumer.deliver(specOf('customer.upserted'), [upsertedAt('2030-01-01T10:00:02.000Z', id)]);
    expect((await subscribeAs(id)).status).toBe(201);
    expect(await consumer.deliver(specOf('customer.deleted'), [deletedAt('2030-01-01T10:00:01.000Z', id)])).toEqual([{ status: 'ack' }]);
    expect(await subscriptionEndpoints(db, id)).toHaveLength(1);
    expect((await subscribeAs(id)).status).toBe(201);
  });
});

describe('push.requested', () => {
  it('records the notification once, however often it is requested', async () => {
    const payload = pushPayloadOf();
    const message = wireMessage('push.requested', payload, 'notification');
    const consumer = pushConsumer(db);
    expect(await consumer.deliver(specOf('push.requested'), [message])).toEqual([{ status: 'ack' }]);
    expect(await consumer.deliver(specOf('push.requested'), [message])).toEqual([{ status: 'ack', duplicate: true }]);
    await consumer.deliver(specOf('push.requested'), [wireMessage('push.requested', payload, 'notification')]);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({
      customer_id: payload.customer_id,
      title: payload.title,
      text: payload.text,
      url: payload.url,
      status: 'pending',
      attempts: 0,
      event_id: message.attributes['event_id'],
    });
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM push.notifications WHERE notification_id = $1', [payload.notification_id]);
    expect(rows[0].n).toBe(1);
  });

  it('dead-letters an invalid payload and records nothing', async () => {
    const valid = wireMessage('push.requested', pushPayloadOf(), 'notification');
    const bad = { ...valid, data: JSON.stringify({ ...JSON.parse(valid.data as string), url: 'javascript:alert(1)' }) };
    const before = await count('push.notifications');
    expect(await pushConsumer(db).deliver(specOf('push.requested'), [bad])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await count('push.notifications')).toBe(before);
  });
});
