import { createDecipheriv, createECDH, hkdfSync, randomBytes, randomUUID, type ECDH } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { subscriptionsOf, type PayloadOf, type TopicName } from '@shop/contracts';
import type { Database } from '@shop/db';
import { createConsumer, createPublisher, type Consumer, type IncomingMessage } from '@shop/events';
import { wireMessage as wireMessageOf } from '@shop/service/test';
import { freePort, testLogger } from '@shop/testing';
import { createPusher, type Pusher } from '../src/delivery/pusher';
import { createVapidKeys, type VapidKeys } from '../src/domain/vapid-keys';
import { pushHandlers } from '../src/events/handlers';
import { createWebPushSender } from '../src/webpush/web-push-sender';

export const JOHN = '550e8400-e29b-41d4-a716-446655440000';
export const JANE = '550e8400-e29b-41d4-a716-446655440001';
/** A well-formed id no customer has. */
export const NOBODY = '6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a';

/** A browser's subscription as `PushSubscription.toJSON()` gives it. */
export interface BrowserSubscription {
  endpoint: string;
  expirationTime?: number | null;
  keys: { p256dh: string; auth: string };
}

/** The wire message a producer would publish on `topic`. */
export function wireMessage<T extends TopicName>(topic: T, payload: PayloadOf<T>, producer: 'notification' | 'customer'): IncomingMessage {
  return wireMessageOf(topic, payload, { producer, correlationId: randomUUID() });
}

export function pushPayloadOf(overrides: Partial<PayloadOf<'push.requested'>> = {}): PayloadOf<'push.requested'> {
  return { notification_id: randomUUID(), customer_id: JOHN, title: 'Order confirmed', text: 'Your order #42 is confirmed.', url: '/orders/42', ...overrides };
}

/** The push service's consumer with its real handlers. */
export function pushConsumer(db: Database): Consumer {
  const consumer = createConsumer({ db, schema: 'push', publish: createPublisher({ schema: 'push', producer: 'push' }), logger: testLogger('push') });
  for (const handler of pushHandlers()) {
    consumer.register(subscriptionsOf('push').find((s) => s.topic === handler.topic)!, handler);
  }
  return consumer;
}

export function specOf(topic: TopicName): string {
  return subscriptionsOf('push').find((s) => s.topic === topic)!.name;
}

/** Delivers `customer.upserted` for each id, as the customer service would. */
export async function knowCustomers(db: Database, ...ids: string[]): Promise<void> {
  const consumer = pushConsumer(db);
  for (const id of ids) {
    await consumer.deliver(specOf('customer.upserted'), [wireMessage('customer.upserted', { customer_id: id, name: 'Someone', email: `${id}@example.com` }, 'customer')]);
  }
}

export async function requestPush(db: Database, payload = pushPayloadOf()): Promise<PayloadOf<'push.requested'>> {
  await pushConsumer(db).deliver(specOf('push.requested'), [wireMessage('push.requested', payload, 'notification')]);
  return payload;
}

export const FAST_RETRIES = { maxAttempts: 3, minDelayMs: 1, maxDelayMs: 2 };

/** A pusher over real Web Push (the keys kept in the test database), with quick retries. */
export function testPusher(
  db: Database,
  options: { vapidKeys?: VapidKeys; policy?: typeof FAST_RETRIES; timeoutMs?: number; allowPrivateNetworks?: boolean } = {},
): Pusher {
  const vapidKeys = options.vapidKeys ?? createVapidKeys(db.prisma);
  return createPusher({
    prisma: db.prisma,
    publish: createPublisher({ schema: 'push', producer: 'push' }),
    // The test push services listen on loopback: allowed, as in development and test, unless a test says otherwise.
    sender: createWebPushSender({
      vapidKeys,
      subject: 'mailto:test@shop.test',
      ttlSeconds: 60,
      timeoutMs: options.timeoutMs ?? 2_000,
      allowPrivateNetworks: options.allowPrivateNetworks ?? true,
    }),
    policy: options.policy ?? FAST_RETRIES,
    logger: testLogger('push'),
    leaseMs: 60_000,
  });
}

/** Makes every pending notification due now, instead of waiting for its backoff. */
export async function makeDue(db: Database): Promise<void> {
  await db.pool.query(`UPDATE push.notifications SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'`);
}

export async function outboxOf(db: Database, notificationId: string): Promise<{ topic: string; payload: Record<string, unknown> }[]> {
  const { rows } = await db.pool.query(`SELECT topic, payload FROM push.outbox WHERE payload->>'notification_id' = $1 ORDER BY id`, [notificationId]);
  return rows;
}

export async function notificationRow(db: Database, notificationId: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.pool.query('SELECT * FROM push.notifications WHERE notification_id = $1', [notificationId]);
  return rows[0];
}

export async function subscriptionEndpoints(db: Database, customerId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ endpoint: string }>('SELECT endpoint FROM push.subscriptions WHERE customer_id = $1 ORDER BY endpoint', [customerId]);
  return rows.map((r) => r.endpoint);
}

// ---------------------------------------------------------------------------------------------------------------
// web-push-testing: a push service speaking the Web Push protocol (it checks VAPID and decrypts aes128gcm).

interface WebPushTestingServerInstance {
  startServer(): void;
  _server: Server;
}
type WebPushTestingServerClass = new (model: unknown, port: number) => WebPushTestingServerInstance;

/** web-push-testing, in process, on its own port. */
export interface WebPushTesting {
  url: string;
  /** Subscribes a fake browser with `applicationServerKey`, as PushManager.subscribe would. */
  subscribe(applicationServerKey: string): Promise<BrowserSubscription & { clientHash: string }>;
  /** The decrypted payloads the browser received. */
  messages(clientHash: string): Promise<string[]>;
  /** Unsubscribes the browser behind the service's back: its endpoint answers 410 from now on. */
  expire(clientHash: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebPushTesting(): Promise<WebPushTesting> {
  const require = createRequire(import.meta.url);
  const TestingServer = require('web-push-testing/src/server.js') as WebPushTestingServerClass;
  const { PushApiModel } = require('web-push-testing/src/PushApiModel.js') as { PushApiModel: new () => unknown };
  const port = await freePort();
  const server = new TestingServer(new PushApiModel(), port);
  server.startServer();
  await new Promise<void>((resolve) => (server._server.listening ? resolve() : server._server.once('listening', () => resolve())));
  const url = `http://localhost:${port}`;
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    if (!res.ok) throw new Error(`web-push-testing ${path}: ${res.status} ${await res.text()}`);
    return res.headers.get('Content-Type')?.includes('json') ? ((await res.json()) as { data: unknown }).data : undefined;
  };
  return {
    url,
    subscribe: async (applicationServerKey) => (await post('/subscribe', { applicationServerKey, userVisibleOnly: 'true' })) as BrowserSubscription & { clientHash: string },
    messages: async (clientHash) => ((await post('/get-notifications', { clientHash })) as { messages: string[] }).messages,
    expire: async (clientHash) => void (await post(`/expire-subscription/${clientHash}`)),
    close: () => new Promise<void>((resolve) => server._server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A push service of our own, answering what a test tells it to, and decrypting what it takes (RFC 8291).

/** A fake browser: its P-256 key pair and auth secret. */
export interface FakeBrowser {
  ecdh: ECDH;
  auth: Buffer;
  keys: { p256dh: string; auth: string };
}

export function fakeBrowser(): FakeBrowser {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
}

/** Decrypts an aes128gcm Web Push body (RFC 8291 §3.4, RFC 8188) with the browser's keys. */
export function decryptPush(body: Buffer, browser: FakeBrowser): string {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const senderPublic = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const shared = browser.ecdh.computeSecret(senderPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), browser.ecdh.getPublicKey(), senderPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, browser.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  return padded.subarray(0, padded.lastIndexOf(2)).toString('utf8');
}

/** One request the fake push service received. */
export interface ReceivedPush {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface FakePushService {
  url: string;
  received: ReceivedPush[];
  /** The status the next requests to `path` get, in order; then 201. */
  answer(path: string, ...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startFakePushService(): Promise<FakePushService> {
  const received: ReceivedPush[] = [];
  const scripted = new Map<string, number[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
      const status = scripted.get(path)?.shift() ?? 201;
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 201 ? '' : `status ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answer: (path, ...statuses) => scripted.set(path, statuses),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
