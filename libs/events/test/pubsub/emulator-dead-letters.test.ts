import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { loadConfig } from '@shop/config';
import { createHttpApp } from '@shop/http';
import { adminHeaders, createTestDatabase, testLogger, testServiceConfig, type TestDatabase } from '@shop/testing';
import {
  applyPubSubTopology,
  createEventRuntime,
  createPubSubTransport,
  createTransport,
  eventsEnvSchema,
  planPubSubTopology,
  pushOptionsOf,
  type DeadLetter,
  type EventRuntime,
  type IncomingMessage,
  type Transport,
} from '../../src';
import { createEffectsTable, effects, PRODUCT_STOCK_CHANGED, stockChangedHandler, stockChangedMessage } from '../fixtures';
import { hasGcloud, startPubSubEmulator, type RunningEmulator } from './emulator';
import { until } from './support';

// Against the emulator the client still asks whether it runs on GCE (no metadata server here): skip the probe.
process.env['METADATA_SERVER_DETECTION'] ??= 'none';
const gcloud = hasGcloud();
if (!gcloud) console.warn('SKIPPED the Pub/Sub emulator dead-letter tests: the gcloud binary is not on PATH (Debian package google-cloud-cli-pubsub-emulator)');

/**
 * What the emulator does, checked by real runs (December 2026): on a subscription WITHOUT message ordering it
 * honours the retry and dead-letter policies, moving a message to the dead-letter topic after
 * `maxDeliveryAttempts` pushes not answered 2xx, with the `CloudPubSubDeadLetterSource*` attributes Google
 * adds, and pushes it on from there. What it lacks: (1) on a subscription WITH ordering (the contracts'
 * setting) it stops delivering after the last attempt and publishes nothing to the dead-letter topic, so the
 * subscription under test has ordering off; (2) push bodies carry no `deliveryAttempt`, so the consumer never
 * learns that an attempt is its last and never dead-letters by itself: here Pub/Sub does, as it does in
 * production when a service cannot answer at all. Otherwise the contract's settings, but 5 attempts (Pub/Sub's
 * minimum) 0–1 s apart, so a message is moved within seconds.
 */
const FAST = { ...SUBSCRIPTIONS.find((s) => s.name === PRODUCT_STOCK_CHANGED.name)!, ordering: false, maxDeliveryAttempts: 5, minBackoffSeconds: 0, maxBackoffSeconds: 1 };

describe.skipIf(!gcloud)(`dead letters on Google's Pub/Sub emulator${gcloud ? '' : ' (SKIPPED: gcloud is not installed)'}`, () => {
  const logger = testLogger();
  const poison = new Set<string>();
  let emulator: RunningEmulator;
  let db: TestDatabase;
  let admin: PubSub;
  let runtime: EventRuntime;
  let server: ServerType;
  let baseUrl: string;
  let publisher: Transport;
  /** The status /pubsub/push answered, by event id, in order. */
  const pushStatuses = new Map<string, number[]>();
  /** The bodies the emulator posted to /pubsub/dead-letters. */
  const deadLetterPushes: string[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    [emulator, db] = await Promise.all([startPubSubEmulator(), createTestDatabase({ poolMax: 10 })]);
    await createEffectsTable(db);
    admin = new PubSub({ projectId: emulator.projectId, apiEndpoint: emulator.host, emulatorMode: true });
    const config = loadConfig(eventsEnvSchema, {
      EVENT_TRANSPORT: 'pubsub',
      GOOGLE_CLOUD_PROJECT: emulator.projectId,
      PUBSUB_EMULATOR_HOST: emulator.host,
      PUBSUB_VERIFY_OIDC: 'false',
    });
    runtime = createEventRuntime({
      service: 'product',
      db,
      databaseUrl: db.url,
      transport: createTransport(config, { databaseUrl: db.url, logger }),
      logger,
      handlers: [stockChangedHandler(poison)],
      push: pushOptionsOf(config),
    });
    closers.push(() => runtime.stop());
    const { app } = createHttpApp({
      service: 'product',
      version: 'test',
      logger,
      identity: { adminToken: testServiceConfig.ADMIN_API_TOKEN, supportToken: testServiceConfig.SUPPORT_API_TOKEN, isKnownCustomer: async () => false },
      readiness: {},
    });
    runtime.registerRoutes(app);
    server = await new Promise<ServerType>((resolve) => {
      const s = serve(
        {
          port: 0,
          hostname: '127.0.0.1',
          fetch: async (request: Request) => {
            const path = new URL(request.url).pathname;
            const body = path.startsWith('/pubsub/') ? await request.clone().text() : '';
            const response = await app.fetch(request);
            if (path === '/pubsub/dead-letters') deadLetterPushes.push(body);
            if (path === '/pubsub/push') {
              const eventId = (JSON.parse(body) as { message: { attributes: Record<string, string> } }).message.attributes['event_id']!;
              pushStatuses.set(eventId, [...(pushStatuses.get(eventId) ?? []), response.status]);
            }
            return response;
          },
        },
        () => resolve(s),
      );
    });
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await applyPubSubTopology(admin, planPubSubTopology({ projectId: emulator.projectId, baseUrls: { product: baseUrl }, subscriptions: [FAST] }));
    publisher = createPubSubTransport({ projectId: emulator.projectId, emulatorHost: emulator.host, logger });
    closers.push(() => publisher.close());
  }, 90_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await admin?.close();
    await db?.drop();
    await emulator?.stop();
  }, 60_000);

  /** The message as it travels: only the attributes that have a value (the fixture leaves traceparent undefined). */
  function wire(message: IncomingMessage): IncomingMessage {
    return { ...message, attributes: Object.fromEntries(Object.entries(message.attributes).filter(([, v]) => v !== undefined)) };
  }

  async function publish(message: IncomingMessage): Promise<string> {
    const eventId = message.attributes['event_id']!;
    await publisher.publish([{ id: eventId, topic: 'stock.changed', eventId, orderingKey: eventId, attributes: wire(message).attributes, data: String(message.data) }]);
    return eventId;
  }

  async function listed(): Promise<DeadLetter[]> {
    const res = await fetch(`${baseUrl}/admin/dead-letters?include_replayed=true`, { headers: adminHeaders });
    return ((await res.json()) as { items: DeadLetter[] }).items;
  }

  const letterOf = async (eventId: string) => (await listed()).find((l) => l.event_id === eventId);

  function replay(body: unknown): Promise<Response> {
    return fetch(`${baseUrl}/admin/dead-letters/replay`, { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  it('lists a message Pub/Sub moved to the dead-letter topic, once however often it arrives, and replays it in bulk once fixed', async () => {
    poison.add('MOVED');
    const message = stockChangedMessage('MOVED', 1);
    const eventId = await publish(message);
    await until(60_000, async () => (await letterOf(eventId)) !== undefined);

    expect(pushStatuses.get(eventId)).toEqual([503, 503, 503, 503, 503]);
    expect(await letterOf(eventId)).toMatchObject({
      subscription: PRODUCT_STOCK_CHANGED.name,
      topic: 'stock.changed',
      attributes: wire(message).attributes,
      data: message.data,
      reason: 'moved_by_pubsub',
      attempts: 5,
      replayed_at: null,
    });

    // The very request the emulator sent, again (Pub/Sub delivers at least once): still one entry.
    const again = await fetch(`${baseUrl}/pubsub/dead-letters`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: deadLetterPushes[0]! });
    expect(again.status).toBe(204);
    expect((await listed()).filter((l) => l.event_id === eventId)).toHaveLength(1);

    poison.clear();
    expect(await (await replay({ topic: 'stock.changed' })).json()).toEqual({ replayed: 1, failed: 0 });
    expect((await effects(db)).map((e) => e.sku)).toEqual(['MOVED']);
    expect(await (await replay({ topic: 'stock.changed' })).json()).toEqual({ replayed: 0, failed: 0 });
    expect(await letterOf(eventId)).toMatchObject({ replayed_at: expect.any(String) });
  }, 90_000);

  it('retries an unknown event_version (every push answered 503) where an invalid payload is dead-lettered on its first push', async () => {
    const next = stockChangedMessage('NEXT', 1);
    const unknownVersion = { ...next, attributes: { ...next.attributes, event_version: '2' } };
    const invalid = stockChangedMessage('INVALID', 1, { data: JSON.stringify({ sku: 'INVALID', available: -1, version: 1 }) });
    const [v2Id, invalidId] = await Promise.all([publish(unknownVersion), publish(invalid)]);

    await until(60_000, async () => (await letterOf(v2Id)) !== undefined && (await letterOf(invalidId)) !== undefined);
    // Never acknowledged, so never recorded as processed; only Pub/Sub gave up on it, after its attempts.
    expect(pushStatuses.get(v2Id)).toEqual([503, 503, 503, 503, 503]);
    expect(await letterOf(v2Id)).toMatchObject({ reason: 'moved_by_pubsub', attempts: 5 });
    const { rowCount } = await db.pool.query('SELECT 1 FROM product.processed_messages WHERE event_id = $1::uuid', [v2Id]);
    expect(rowCount).toBe(0);
    expect(pushStatuses.get(invalidId)).toEqual([204]);
    expect(await letterOf(invalidId)).toMatchObject({ reason: 'invalid_payload' });
  }, 90_000);
});
