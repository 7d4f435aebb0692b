import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS, type TopicName } from '@shop/contracts';
import { loadConfig } from '@shop/config';
import { inTransaction } from '@shop/db';
import { createHttpApp } from '@shop/http';
import { createTestDatabase, testLogger, testServiceConfig, type TestDatabase } from '@shop/testing';
import {
  applyPubSubTopology,
  createEventRuntime,
  createPublisher,
  createPubSubTransport,
  createTransport,
  eventsEnvSchema,
  localBaseUrls,
  planPubSubTopology,
  pushOptionsOf,
  startRelay,
  type EventRuntime,
  type OutgoingMessage,
  type Relay,
  type Transport,
} from '../../src';
import { createEffectsTable, effects, stockChangedHandler } from '../fixtures';
import { hasGcloud, startPubSubEmulator, type RunningEmulator } from './emulator';
import { footprint, until } from './support';

// Against the emulator the client still asks whether it runs on GCE (no metadata server here): skip the probe.
process.env['METADATA_SERVER_DETECTION'] ??= 'none';
const gcloud = hasGcloud();
if (!gcloud) console.warn('SKIPPED the Pub/Sub emulator tests: the gcloud binary is not on PATH (Debian package google-cloud-cli-pubsub-emulator)');

describe.skipIf(!gcloud)(`Pub/Sub against Google's emulator${gcloud ? '' : ' (SKIPPED: gcloud is not installed)'}`, () => {
  const logger = testLogger();
  let emulator: RunningEmulator;
  let db: TestDatabase;
  let admin: PubSub;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    [emulator, db] = await Promise.all([startPubSubEmulator(), createTestDatabase({ poolMax: 20 })]);
    await createEffectsTable(db);
    admin = new PubSub({ projectId: emulator.projectId, apiEndpoint: emulator.host, emulatorMode: true });
  }, 90_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await admin?.close();
    await db?.drop();
    await emulator?.stop();
  }, 60_000);

  function transport(): Transport {
    const t = createPubSubTransport({ projectId: emulator.projectId, emulatorHost: emulator.host, logger });
    closers.push(() => t.close());
    return t;
  }

  function outgoing(topic: string, key: string, n: number): OutgoingMessage {
    // These tests publish to topics of their own, outside the contract, so nothing pushes to real services.
    return { id: String(n), topic: topic as TopicName, eventId: `e-${n}`, orderingKey: key, attributes: { n: String(n), event_type: topic }, data: JSON.stringify({ n }) };
  }

  async function pullAll(subscription: string, count: number): Promise<Message[]> {
    const received: Message[] = [];
    const sub = admin.subscription(subscription);
    sub.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    await until(20_000, async () => received.length >= count);
    await sub.close();
    return received;
  }

  describe('createPubSubTransport', () => {
    it('publishes attributes, data and ordering keys, in order per key', async () => {
      await admin.createTopic('transport-test');
      await admin.createSubscription('transport-test', 'transport-test.pull', { enableMessageOrdering: true });
      const messages = Array.from({ length: 30 }, (_, i) => outgoing('transport-test', `key-${i % 3}`, i));
      expect(await transport().publish(messages)).toBe(30);
      const received = await pullAll('transport-test.pull', 30);
      for (const key of ['key-0', 'key-1', 'key-2']) {
        const ofKey = received.filter((m) => m.orderingKey === key);
        expect(ofKey.map((m) => Number(m.attributes['n']))).toEqual(messages.filter((m) => m.orderingKey === key).map((m) => Number(m.id)));
        expect(ofKey.map((m) => JSON.parse(m.data.toString()))).toEqual(ofKey.map((m) => ({ n: Number(m.attributes['n']) })));
      }
    });

    it('reports how many were published before a failure, and lets that ordering key publish again', async () => {
      await admin.createTopic('transport-ok');
      const t = transport();
      const batch = [outgoing('transport-ok', 'k', 1), outgoing('transport-missing', 'k2', 2), outgoing('transport-ok', 'k', 3)];
      await expect(t.publish(batch)).rejects.toMatchObject({ name: 'PubSubPublishError', published: 1 });
      await admin.createTopic('transport-missing');
      // Without resumePublishing the client would refuse key k2 for good.
      expect(await t.publish(batch.slice(1))).toBe(2);
    });

    it('answers ping when the emulator is up and fails it quickly when nothing listens', async () => {
      await transport().ping();
      const dead = createPubSubTransport({ projectId: 'p', emulatorHost: '127.0.0.1:9', logger, pingTimeoutMs: 500 });
      closers.push(() => dead.close());
      const started = Date.now();
      await expect(dead.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  });

  describe('push delivery end to end', () => {
    let runtime: EventRuntime;
    let server: ServerType;
    let baseUrl: string;
    const pushed: string[] = [];
    let relay: Relay;

    beforeAll(async () => {
      // Verification off: the emulator sends no token. The schema allows that only with PUBSUB_EMULATOR_HOST.
      const config = loadConfig(eventsEnvSchema, {
        EVENT_TRANSPORT: 'pubsub',
        GOOGLE_CLOUD_PROJECT: emulator.projectId,
        PUBSUB_EMULATOR_HOST: emulator.host,
        PUBSUB_VERIFY_OIDC: 'false',
      });
      const productTransport = createTransport(config, { databaseUrl: db.url, logger });
      runtime = createEventRuntime({ service: 'product', db, databaseUrl: db.url, transport: productTransport, logger, handlers: [stockChangedHandler()], push: pushOptionsOf(config) });
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
            // Keeps what the emulator sent, so the test can push the very same request again.
            fetch: async (request: Request) => {
              if (new URL(request.url).pathname === '/pubsub/push') pushed.push(await request.clone().text());
              return app.fetch(request);
            },
          },
          () => resolve(s),
        );
      });
      closers.push(() => new Promise((resolve) => server.close(resolve)));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

      // The whole topology, as scripts/pubsub-topology.ts creates it, with product's pushes aimed at this server.
      const plan = planPubSubTopology({ projectId: emulator.projectId, baseUrls: { ...localBaseUrls(), product: baseUrl } });
      await applyPubSubTopology(admin, plan);

      // Inventory's side: its outbox and relay, publishing through the Pub/Sub transport.
      relay = startRelay({ databaseUrl: db.url, pool: db.pool, schema: 'inventory', transport: transport(), logger, pollIntervalMs: 100 });
      closers.push(() => relay.stop());
    }, 60_000);

    it('created every topic and subscription of the contracts, and applying again changes nothing but settings', async () => {
      const [topics] = await admin.getTopics();
      const names = topics.map((t) => t.name.split('/').pop());
      for (const s of SUBSCRIPTIONS) expect(names).toEqual(expect.arrayContaining([s.topic, s.deadLetterTopic]));
      const [subscription] = await admin.subscription('product.stock.changed').getMetadata();
      expect(subscription).toMatchObject({
        pushConfig: { pushEndpoint: `${baseUrl}/pubsub/push` },
        enableMessageOrdering: true,
        deadLetterPolicy: { deadLetterTopic: `projects/${emulator.projectId}/topics/product.stock.changed.dead-letter`, maxDeliveryAttempts: 100 },
        retryPolicy: { minimumBackoff: { seconds: '10' }, maximumBackoff: { seconds: '600' } },
      });
      const [deadLetters] = await admin.subscription('product.stock.changed.dead-letter.sub').getMetadata();
      expect(deadLetters).toMatchObject({ pushConfig: { pushEndpoint: `${baseUrl}/pubsub/dead-letters` }, deadLetterPolicy: null });
      const again = await applyPubSubTopology(admin, planPubSubTopology({ projectId: emulator.projectId, baseUrls: { ...localBaseUrls(), product: baseUrl } }));
      expect(again.created).toEqual([]);
    });

    it('carries an event from the producer outbox through Pub/Sub to POST /pubsub/push; the handler runs once', async () => {
      const publish = createPublisher({ schema: 'inventory', producer: 'inventory' });
      const started = Date.now();
      await inTransaction(db.prisma, (tx) => publish(tx, 'stock.changed', { sku: 'EMU-1', available: 5, version: 1 }));
      await until(20_000, async () => (await effects(db)).length === 1);
      logger.info({ ms: Date.now() - started }, 'outbox to handler through the emulator');
      expect((await effects(db)).map((e) => e.sku)).toEqual(['EMU-1']);
      expect(JSON.parse(pushed[0]!)).toMatchObject({
        subscription: `projects/${emulator.projectId}/subscriptions/product.stock.changed`,
        message: { attributes: { event_type: 'stock.changed', producer: 'inventory' } },
      });
    });

    it('changes nothing when the emulator’s push is posted again', async () => {
      const before = await footprint(db);
      const res = await fetch(`${baseUrl}/pubsub/push`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: pushed[0]! });
      expect(res.status).toBe(204);
      expect(await footprint(db)).toEqual(before);
      expect(before).toEqual({ processed: 1, deadLetters: 0, effects: 1 });
    });
  });
});
