import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testAppContext } from '@shop/service/test';
import { json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { createVapidKeys, type VapidKeys } from '../src/domain/vapid-keys';
import { createWebPushSender } from '../src/webpush/web-push-sender';
import { fakeBrowser, JOHN, knowCustomers, makeDue, notificationRow, outboxOf, requestPush, startFakePushService, testPusher, type FakePushService } from './push-test-kit';

let db: TestDatabase;
let listener: FakePushService;
let vapidKeys: VapidKeys;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  await knowCustomers(db, JOHN);
  // A real HTTP listener on 127.0.0.1 that records every request it ever gets.
  listener = await startFakePushService();
  vapidKeys = createVapidKeys(db.prisma);
  // Subscribing in test mode, as a subscription stored before (or a host that resolves privately later) would be.
  app = createApp(testAppContext('push', db), { vapidKeys }).app;
});

afterAll(async () => {
  await listener.close();
});

beforeEach(async () => {
  await db.pool.query('DELETE FROM push.notifications; DELETE FROM push.subscriptions');
  listener.received.length = 0;
});

function sender(allowPrivateNetworks: boolean) {
  return createWebPushSender({ vapidKeys, subject: 'mailto:test@shop.test', ttlSeconds: 60, timeoutMs: 2_000, allowPrivateNetworks });
}

const target = (endpoint: string) => ({ endpoint, keys: fakeBrowser().keys });
const port = () => new URL(listener.url).port;

async function subscribeAt(endpoint: string): Promise<void> {
  const res = await app.request('/subscriptions', json('POST', { endpoint, keys: fakeBrowser().keys }, { 'X-Customer-Id': JOHN }));
  expect(res.status).toBe(201);
}

describe('Web Push to non-public addresses outside development and test', () => {
  it.each([
    ['a literal loopback address', () => `${listener.url}/literal`, /127\.0\.0\.1.*loopback/],
    ['a name that resolves to loopback when the socket connects', () => `http://localhost:${port()}/by-name`, /localhost \(.*\).*loopback/],
    ['an IPv4-mapped IPv6 loopback address', () => `http://[::ffff:127.0.0.1]:${port()}/mapped`, /loopback/],
  ])('refuses %s and never contacts it', async (_what, endpoint, why) => {
    await expect(sender(false).send(target(endpoint()), '{}', { topic: 'refused' })).rejects.toMatchObject({ code: 'EPUSHBLOCKED', message: expect.stringMatching(why) });
    expect(listener.received).toEqual([]);
  });

  it('delivers to the same listener in development and test', async () => {
    const response = await sender(true).send(target(`${listener.url}/allowed`), '{}', { topic: 'allowed' });
    expect(response.statusCode).toBe(201);
    expect(listener.received.map((r) => r.path)).toEqual(['/allowed']);
  });

  it('fails the notification for good with push.failed: the refused endpoint is not retried and never contacted', async () => {
    await subscribeAt(`${listener.url}/production`);
    const payload = await requestPush(db);
    const pusher = testPusher(db, { vapidKeys, allowPrivateNetworks: false });
    expect(await pusher.runDue()).toBe(1);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringMatching(/1 rejected.*loopback/) });
    const events = await outboxOf(db, payload.notification_id);
    expect(events.map((e) => e.topic)).toEqual(['push.failed']);
    expect(events[0]!.payload['error']).toMatch(/refused to contact 127\.0\.0\.1/);
    await makeDue(db);
    expect(await pusher.runDue()).toBe(0);
    expect(listener.received).toEqual([]);
  });

  it('delivers the same notification in test mode', async () => {
    await subscribeAt(`${listener.url}/test-mode`);
    const payload = await requestPush(db);
    expect(await testPusher(db, { vapidKeys }).runDue()).toBe(1);
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'sent' });
    expect(listener.received.map((r) => r.path)).toEqual(['/test-mode']);
  });
});
