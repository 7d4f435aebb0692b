import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { PUSH_FANOUT_CONCURRENCY } from '../src/delivery/pusher';
import { MAX_SUBSCRIPTIONS_PER_CUSTOMER } from '../src/domain/subscriptions';
import { decryptPush, fakeBrowser, knowCustomers, notificationRow, pushPayloadOf, requestPush, testPusher, type FakeBrowser } from './push-test-kit';

/** A push service that takes a while to answer each push (201, as RFC 8030 §5 says), counting pushes in flight. */
interface SlowPushService {
  url: string;
  maxInFlight(): number;
  /** Decrypted payloads, by path. */
  delivered: Map<string, string>;
  close(): Promise<void>;
}

async function startSlowPushService(browsers: Map<string, FakeBrowser>, holdMs: number): Promise<SlowPushService> {
  let inFlight = 0;
  let max = 0;
  const delivered = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    inFlight++;
    max = Math.max(max, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      delivered.set(path, decryptPush(Buffer.concat(chunks), browsers.get(path)!));
      setTimeout(() => {
        inFlight--;
        res.writeHead(201, { Location: `${path}/message/${randomUUID()}` }).end();
      }, holdMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxInFlight: () => max,
    delivered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let db: TestDatabase;
let service: SlowPushService;
const browsers = new Map<string, FakeBrowser>();

beforeAll(async () => {
  db = await useTestDatabase();
  service = await startSlowPushService(browsers, 150);
});

afterAll(() => service.close());

describe('one notification to many browsers', () => {
  it(`pushes to at most ${PUSH_FANOUT_CONCURRENCY} of them at once, and to every one of them`, async () => {
    const customer = randomUUID();
    await knowCustomers(db, customer);
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CUSTOMER; i++) {
      const path = `/browser-${i}`;
      const browser = fakeBrowser();
      browsers.set(path, browser);
      await db.pool.query('INSERT INTO push.subscriptions (subscription_id, customer_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4, $5)', [
        randomUUID(),
        customer,
        `${service.url}${path}`,
        browser.keys.p256dh,
        browser.keys.auth,
      ]);
    }
    const payload = await requestPush(db, pushPayloadOf({ customer_id: customer }));
    await testPusher(db).attemptNow(payload.notification_id);

    expect(service.maxInFlight()).toBe(PUSH_FANOUT_CONCURRENCY);
    expect([...service.delivered.keys()].sort()).toEqual([...browsers.keys()].sort());
    expect(new Set([...service.delivered.values()].map((p) => (JSON.parse(p) as { notification_id: string }).notification_id))).toEqual(new Set([payload.notification_id]));
    expect(await notificationRow(db, payload.notification_id)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});
