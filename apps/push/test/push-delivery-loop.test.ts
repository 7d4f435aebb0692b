import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@shop/config';
import { createPublisher } from '@shop/events';
import { testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { pushConfigSchema } from '../src/config';
import { startPushDelivery } from '../src/delivery/push-delivery';
import { createVapidKeys } from '../src/domain/vapid-keys';
import { JOHN, knowCustomers, notificationRow, requestPush, startWebPushTesting, type WebPushTesting } from './push-test-kit';

let db: TestDatabase;
let pushService: WebPushTesting;

beforeAll(async () => {
  db = await useTestDatabase();
  pushService = await startWebPushTesting();
  await knowCustomers(db, JOHN);
});

afterAll(() => pushService.close());

describe('push delivery as the service runs it', () => {
  it('pushes as soon as push.requested commits, with the key pair kept in the database', async () => {
    const config = loadConfig(pushConfigSchema, { DATABASE_URL: db.url });
    const vapidKeys = createVapidKeys(db.prisma);
    const stop = await startPushDelivery(config, { db, databaseUrl: db.url, publish: createPublisher({ schema: 'push', producer: 'push' }), vapidKeys, logger: testLogger('push') });
    try {
      const browser = await pushService.subscribe((await vapidKeys.get()).publicKey);
      await db.pool.query(`INSERT INTO push.subscriptions (subscription_id, customer_id, endpoint, p256dh, auth) VALUES (gen_random_uuid(), $1, $2, $3, $4)`, [
        JOHN,
        browser.endpoint,
        browser.keys.p256dh,
        browser.keys.auth,
      ]);
      const payload = await requestPush(db);
      await vi.waitFor(async () => expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'sent' }), { timeout: 5_000 });
      expect(await pushService.messages(browser.clientHash)).toHaveLength(1);
    } finally {
      await stop();
    }
  });
});

describe('pushConfigSchema', () => {
  const base = { DATABASE_URL: 'postgresql://localhost/shop' };

  it('allows any endpoint host outside production, and only the browsers\' push services in production', () => {
    expect(loadConfig(pushConfigSchema, base)).toMatchObject({ PORT: 3007, PUSH_ENDPOINT_HOSTS: ['*'], VAPID_SUBJECT: 'mailto:push@example.com', PUSH_TTL_SECONDS: 86_400 });
    const production = loadConfig(pushConfigSchema, { ...base, NODE_ENV: 'production', ADMIN_API_TOKEN: 'a'.repeat(20), SUPPORT_API_TOKEN: 'b'.repeat(20) });
    expect(production.PUSH_ENDPOINT_HOSTS).toContain('fcm.googleapis.com');
    expect(production.PUSH_ENDPOINT_HOSTS).not.toContain('*');
    expect(loadConfig(pushConfigSchema, { ...base, PUSH_ENDPOINT_HOSTS: 'push.example, *.Push.Test' }).PUSH_ENDPOINT_HOSTS).toEqual(['push.example', '*.push.test']);
  });

  it('takes a VAPID key pair only whole and well-formed', () => {
    const generated = webpush.generateVAPIDKeys();
    const keys = { VAPID_PUBLIC_KEY: generated.publicKey, VAPID_PRIVATE_KEY: generated.privateKey };
    expect(loadConfig(pushConfigSchema, { ...base, ...keys })).toMatchObject(keys);
    expect(() => loadConfig(pushConfigSchema, { ...base, VAPID_PUBLIC_KEY: keys.VAPID_PUBLIC_KEY })).toThrow(/VAPID_PRIVATE_KEY/);
    expect(() => loadConfig(pushConfigSchema, { ...base, ...keys, VAPID_PUBLIC_KEY: 'short' })).toThrow(/VAPID_PUBLIC_KEY/);
    expect(() => loadConfig(pushConfigSchema, { ...base, VAPID_SUBJECT: 'push@example.com' })).toThrow(/VAPID_SUBJECT/);
  });
});
