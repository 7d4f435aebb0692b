import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { createVapidKeys } from '../src/domain/vapid-keys';
import { fakeBrowser, JOHN, knowCustomers, notificationRow, pushPayloadOf, startFakePushService, startWebPushTesting, wireMessage, type FakePushService, type WebPushTesting } from './push-test-kit';

let db: TestDatabase;
let pushService: WebPushTesting;
let fake: FakePushService;
let server: Server;
let base: string;
let closeSendPush: () => Promise<void>;

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 2 });
  [pushService, fake] = await Promise.all([startWebPushTesting(), startFakePushService()]);
  await knowCustomers(db, JOHN);
  // The function reads its configuration from the environment on its first event, as it does in the cloud.
  Object.assign(process.env, { DATABASE_URL: db.url, EVENT_TRANSPORT: 'memory', LOG_LEVEL: 'silent', NODE_ENV: 'test', PUSH_RETRY_MIN_MS: '10', PUSH_RETRY_MAX_MS: '20' });
  ({ closeSendPush } = await import('../src/function'));
  server = getTestServer('sendPush');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await closeSendPush();
  await Promise.all([pushService.close(), fake.close()]);
});

async function store(customerId: string, endpoint: string, keys: { p256dh: string; auth: string }) {
  await db.pool.query('INSERT INTO push.subscriptions (subscription_id, customer_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4, $5)', [randomUUID(), customerId, endpoint, keys.p256dh, keys.auth]);
}

/** POSTs a Pub/Sub CloudEvent in structured content mode, as a push subscription to the function would. */
function postCloudEvent(message: ReturnType<typeof wireMessage>): Promise<Response> {
  return fetch(base, {
    method: 'POST',
    headers: { 'Content-Type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/shop/topics/push.requested',
      datacontenttype: 'application/json',
      data: {
        message: { data: Buffer.from(message.data as string).toString('base64'), attributes: message.attributes, messageId: '99' },
        subscription: 'projects/shop/subscriptions/eventarc-push-requested',
      },
    }),
  });
}

describe('the sendPush CloudEvent function', () => {
  it('pushes a Pub/Sub push.requested to the customer\'s browsers and publishes push.delivered', async () => {
    // The service generated and stored the key pair the browser subscribed with; the function signs with it too.
    const browser = await pushService.subscribe((await createVapidKeys(db.prisma).get()).publicKey);
    await store(JOHN, browser.endpoint, browser.keys);
    const payload = pushPayloadOf({ title: 'From a function' });
    const message = wireMessage('push.requested', payload, 'notification');

    expect((await postCloudEvent(message)).status).toBe(204);
    expect((await postCloudEvent(message)).status).toBe(204);

    expect((await pushService.messages(browser.clientHash)).map((m) => JSON.parse(m))).toEqual([
      { notification_id: payload.notification_id, title: 'From a function', text: payload.text, url: payload.url },
    ]);
    await vi.waitFor(async () => {
      const { rows } = await db.pool.query(`SELECT topic, published_at FROM push.outbox WHERE payload->>'notification_id' = $1`, [payload.notification_id]);
      expect(rows).toEqual([{ topic: 'push.delivered', published_at: expect.any(Date) }]);
    });
  });

  it('fails while a push service fails for now, so Pub/Sub delivers again, and acknowledges once pushed', async () => {
    const customer = randomUUID();
    await knowCustomers(db, customer);
    await store(customer, `${fake.url}/flaky`, fakeBrowser().keys);
    fake.answer('/flaky', 503);
    const payload = pushPayloadOf({ customer_id: customer });
    const message = wireMessage('push.requested', payload, 'notification');
    expect((await postCloudEvent(message)).status).toBe(500);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await postCloudEvent(message)).status).toBe(204);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'sent', attempts: 2 });
  });
});
