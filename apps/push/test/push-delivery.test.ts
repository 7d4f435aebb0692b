import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { NO_SUBSCRIPTION_ERROR } from '../src/domain/delivery-policy';
import { createVapidKeys, type VapidKeys } from '../src/domain/vapid-keys';
import {
  decryptPush,
  fakeBrowser,
  JOHN,
  knowCustomers,
  makeDue,
  notificationRow,
  outboxOf,
  pushConsumer,
  pushPayloadOf,
  requestPush,
  specOf,
  startFakePushService,
  startWebPushTesting,
  subscriptionEndpoints,
  testPusher,
  wireMessage,
  type FakePushService,
  type WebPushTesting,
} from './push-test-kit';

let db: TestDatabase;
let pushService: WebPushTesting;
let fake: FakePushService;
let vapidKeys: VapidKeys;

beforeAll(async () => {
  db = await useTestDatabase();
  [pushService, fake] = await Promise.all([startWebPushTesting(), startFakePushService()]);
  vapidKeys = createVapidKeys(db.prisma);
});

afterAll(async () => {
  await Promise.all([pushService.close(), fake.close()]);
});

// Each test starts with no subscriptions and no notifications: a pusher sends whatever is due.
beforeEach(async () => {
  await db.pool.query('DELETE FROM push.notifications; DELETE FROM push.subscriptions');
  fake.received.length = 0;
});

/** Subscribes a fake browser at web-push-testing with the service's public key, and stores it for `customerId`. */
async function browserAtPushService(customerId = JOHN) {
  const subscription = await pushService.subscribe((await vapidKeys.get()).publicKey);
  await store(customerId, subscription.endpoint, subscription.keys);
  return subscription;
}

async function store(customerId: string, endpoint: string, keys: { p256dh: string; auth: string }) {
  await db.pool.query('INSERT INTO push.subscriptions (subscription_id, customer_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4, $5)', [
    randomUUID(),
    customerId,
    endpoint,
    keys.p256dh,
    keys.auth,
  ]);
}

function pusher() {
  return testPusher(db, { vapidKeys });
}

describe('the pusher against push services', () => {
  beforeAll(async () => {
    await knowCustomers(db, JOHN);
  });

  it('delivers the payload intact, encrypted for the browser and signed with VAPID, and publishes push.delivered', async () => {
    const browser = await browserAtPushService();
    const payload = await requestPush(db, pushPayloadOf({ title: 'Commande confirmée ✅', text: 'Merci — «42» 🎉', url: 'https://shop.example/orders/42' }));
    expect(await pusher().runDue()).toBe(1);

    expect((await pushService.messages(browser.clientHash)).map((m) => JSON.parse(m))).toEqual([
      { notification_id: payload.notification_id, title: 'Commande confirmée ✅', text: 'Merci — «42» 🎉', url: 'https://shop.example/orders/42' },
    ]);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'sent', attempts: 1, sent_at: expect.any(Date), last_error: null });
    expect(await outboxOf(db, payload.notification_id)).toEqual([{ topic: 'push.delivered', payload: { notification_id: payload.notification_id, attempt: 1 } }]);
  });

  it('sends what a browser can decrypt with its own keys, with TTL, urgency and the notification as topic', async () => {
    const browser = fakeBrowser();
    await store(JOHN, `${fake.url}/browser-1`, browser.keys);
    const payload = await requestPush(db);
    await pusher().runDue();

    const [request] = fake.received;
    expect(request!.headers).toMatchObject({
      'content-encoding': 'aes128gcm',
      ttl: '60',
      urgency: 'normal',
      topic: payload.notification_id.replaceAll('-', ''),
      authorization: expect.stringMatching(/^vapid t=.+, k=.+$/),
    });
    expect(JSON.parse(decryptPush(request!.body, browser))).toEqual({
      notification_id: payload.notification_id,
      title: payload.title,
      text: payload.text,
      url: payload.url,
    });
  });

  it('removes a subscription its push service answers 410 for, and publishes push.failed when no browser took the push', async () => {
    const browser = await browserAtPushService();
    await pushService.expire(browser.clientHash);
    const payload = await requestPush(db);
    await pusher().runDue();

    expect(await subscriptionEndpoints(db, JOHN)).toEqual([]);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'failed', failed_at: expect.any(Date) });
    expect(await outboxOf(db, payload.notification_id)).toEqual([
      { topic: 'push.failed', payload: { notification_id: payload.notification_id, attempt: 1, error: expect.stringMatching(/1 gone of 1 subscription.*410/) } },
    ]);
    // The customer had a subscription when asked: a real failure, not one marked no_subscription.
    expect((await outboxOf(db, payload.notification_id))[0]!.payload['error']).not.toMatch(/^no_subscription:/);
  });

  it('publishes push.delivered when one browser took it and removes the one that is gone (404)', async () => {
    const live = await browserAtPushService();
    await store(JOHN, `${fake.url}/gone`, fakeBrowser().keys);
    fake.answer('/gone', 404);
    const payload = await requestPush(db);
    await pusher().runDue();

    expect(await pushService.messages(live.clientHash)).toHaveLength(1);
    expect(await subscriptionEndpoints(db, JOHN)).toEqual([live.endpoint]);
    expect(await outboxOf(db, payload.notification_id)).toEqual([
      { topic: 'push.delivered', payload: { notification_id: payload.notification_id, attempt: 1, error: expect.stringMatching(/1 gone of 2/) } },
    ]);
  });

  it('retries only the browser whose push service failed for now, and pushes to each browser once', async () => {
    const steady = fakeBrowser();
    const flaky = fakeBrowser();
    await store(JOHN, `${fake.url}/steady`, steady.keys);
    await store(JOHN, `${fake.url}/flaky`, flaky.keys);
    fake.answer('/flaky', 503, 429);
    const payload = await requestPush(db);
    const p = pusher();

    await p.runDue();
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/503/) });
    expect(await outboxOf(db, payload.notification_id)).toEqual([]);
    for (let i = 0; i < 2; i++) {
      await makeDue(db);
      await p.runDue();
    }

    const paths = fake.received.map((r) => r.path);
    expect(paths.filter((x) => x === '/steady')).toHaveLength(1);
    expect(paths.filter((x) => x === '/flaky')).toHaveLength(3);
    expect(JSON.parse(decryptPush(fake.received.at(-1)!.body, flaky))).toMatchObject({ notification_id: payload.notification_id });
    expect(await outboxOf(db, payload.notification_id)).toEqual([{ topic: 'push.delivered', payload: { notification_id: payload.notification_id, attempt: 3 } }]);
  });

  it('publishes push.failed after the last attempt when a push service keeps failing', async () => {
    await store(JOHN, `${fake.url}/down`, fakeBrowser().keys);
    fake.answer('/down', 500, 500, 500, 500);
    const payload = await requestPush(db);
    const p = pusher();
    for (let i = 0; i < 4; i++) {
      await p.runDue();
      await makeDue(db);
    }
    expect(fake.received).toHaveLength(3);
    expect(await outboxOf(db, payload.notification_id)).toEqual([
      { topic: 'push.failed', payload: { notification_id: payload.notification_id, attempt: 3, error: expect.stringMatching(/500.*gave up after 3 attempts/) } },
    ]);
    expect(await subscriptionEndpoints(db, JOHN)).toEqual([`${fake.url}/down`]);
  });

  it('fails at once, keeping the subscription, when the push service rejects the request (403)', async () => {
    await store(JOHN, `${fake.url}/wrong-key`, fakeBrowser().keys);
    fake.answer('/wrong-key', 403);
    const payload = await requestPush(db);
    await pusher().runDue();
    expect(await outboxOf(db, payload.notification_id)).toEqual([
      { topic: 'push.failed', payload: { notification_id: payload.notification_id, attempt: 1, error: expect.stringMatching(/1 rejected.*403/) } },
    ]);
    expect(await subscriptionEndpoints(db, JOHN)).toEqual([`${fake.url}/wrong-key`]);
  });

  it('retries a push service that does not answer in time', async () => {
    // Accepts the connection and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      await store(JOHN, `http://127.0.0.1:${(silent.address() as AddressInfo).port}/slow`, fakeBrowser().keys);
      const payload = await requestPush(db);
      await testPusher(db, { vapidKeys, timeoutMs: 200 }).runDue();
      expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/timed out/) });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('answers push.requested for a customer without subscriptions with push.failed marked no_subscription, at once', async () => {
    const payload = await requestPush(db, pushPayloadOf({ customer_id: randomUUID() }));
    await pusher().runDue();
    // The literal, not only the constant: the notification service matches its `no_subscription:` code.
    expect(NO_SUBSCRIPTION_ERROR).toBe('no_subscription: the customer has no push subscription');
    expect(await outboxOf(db, payload.notification_id)).toEqual([
      { topic: 'push.failed', payload: { notification_id: payload.notification_id, attempt: 1, error: NO_SUBSCRIPTION_ERROR } },
    ]);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'failed', attempts: 1, last_error: NO_SUBSCRIPTION_ERROR });
  });

  it('pushes once when push.requested is delivered twice, or twice with another event id', async () => {
    const browser = await browserAtPushService();
    const payload = pushPayloadOf();
    const message = wireMessage('push.requested', payload, 'notification');
    const consumer = pushConsumer(db);
    await Promise.all([consumer.deliver(specOf('push.requested'), [message]), consumer.deliver(specOf('push.requested'), [message])]);
    await consumer.deliver(specOf('push.requested'), [wireMessage('push.requested', payload, 'notification')]);
    const p = pusher();
    await Promise.all([p.runDue(), p.runDue()]);
    await makeDue(db);
    await p.runDue();

    expect(await pushService.messages(browser.clientHash)).toHaveLength(1);
    expect(await outboxOf(db, payload.notification_id)).toHaveLength(1);
  });

  it('answers attemptNow with the state of a finished or unknown notification without pushing again', async () => {
    const browser = await browserAtPushService();
    const payload = await requestPush(db);
    const p = pusher();
    expect(await p.attemptNow(payload.notification_id)).toBe('sent');
    expect(await p.attemptNow(payload.notification_id)).toBe('sent');
    expect(await p.attemptNow(randomUUID())).toBe('unknown');
    expect(await pushService.messages(browser.clientHash)).toHaveLength(1);
  });
});
