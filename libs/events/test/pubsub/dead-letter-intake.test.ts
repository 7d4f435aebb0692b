import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { subscriptionsOf } from '@shop/contracts';
import { createHttpApp } from '@shop/http';
import { adminHeaders, testLogger, testServiceConfig, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createDeadLetterStore, registerDeadLetterIntakeRoute, type DeadLetter, type IncomingMessage, type PushOptions } from '../../src';
import { createEffectsTable, effects, PRODUCT_STOCK_CHANGED, stockChangedMessage } from '../fixtures';
import { AUDIENCE, createTestSigner, deadLetterApp, footprint, PROJECT, PUSH_SERVICE_ACCOUNT, pushBody, pushRequest, resetProduct } from './support';

const db: TestDatabase = await useTestDatabase();
await createEffectsTable(db);
const signer = createTestSigner();
const push: PushOptions = { verify: true, audience: AUDIENCE, serviceAccountEmail: PUSH_SERVICE_ACCOUNT, projectId: PROJECT, certs: signer.certs };
const DEAD_LETTER_SUBSCRIPTION = `${PRODUCT_STOCK_CHANGED.name}.dead-letter.sub`;

beforeEach(() => resetProduct(db));

/** A message as Pub/Sub republishes it on the dead-letter topic: the event's attributes plus its own. */
function movedByPubSub(message: IncomingMessage, deliveries = 100): IncomingMessage {
  return {
    ...message,
    attributes: {
      ...message.attributes,
      CloudPubSubDeadLetterSourceDeliveryCount: String(deliveries),
      CloudPubSubDeadLetterSourceSubscription: PRODUCT_STOCK_CHANGED.name,
      CloudPubSubDeadLetterSourceSubscriptionProject: PROJECT,
      CloudPubSubDeadLetterSourceTopicPublishTime: '2026-12-05T10:00:00.000Z',
    },
  };
}

function intake(message: IncomingMessage, subscription = DEAD_LETTER_SUBSCRIPTION): RequestInit {
  return pushRequest(pushBody(message, { subscription }), signer.token());
}

/** What `GET /admin/dead-letters` lists. */
type Listed = DeadLetter;

async function listed(app: ReturnType<typeof deadLetterApp>['app'], query = ''): Promise<Listed[]> {
  const res = await app.request(`/admin/dead-letters${query}`, { headers: adminHeaders });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Listed[] }).items;
}

describe('POST /pubsub/dead-letters', () => {
  it('files what Pub/Sub moved to the dead-letter topic under its source subscription, as published, with the delivery count', async () => {
    const { app } = deadLetterApp(db, { push });
    const original = stockChangedMessage('LOST', 1);
    const res = await app.request('/pubsub/dead-letters', intake(movedByPubSub(original, 100)));
    expect(res.status).toBe(204);
    const [letter, ...rest] = await listed(app);
    expect(rest).toEqual([]);
    expect(letter).toEqual({
      id: expect.any(String),
      subscription: PRODUCT_STOCK_CHANGED.name,
      event_id: original.attributes['event_id'],
      topic: 'stock.changed',
      attributes: original.attributes,
      data: original.data,
      reason: 'moved_by_pubsub',
      last_error: expect.stringContaining('product.stock.changed.dead-letter after 100 delivery attempts'),
      attempts: 100,
      dead_lettered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      replayed_at: null,
    });
    // Filed, not handled: nothing processed, no effect.
    expect(await footprint(db)).toEqual({ processed: 0, deadLetters: 1, effects: 0 });
  });

  it('makes one entry when the same dead letter arrives twice, and one the consumer already kept stays as it was', async () => {
    const { app, consumer } = deadLetterApp(db, { push });
    const original = stockChangedMessage('TWICE', 1);
    expect((await app.request('/pubsub/dead-letters', intake(movedByPubSub(original)))).status).toBe(204);
    expect((await app.request('/pubsub/dead-letters', intake(movedByPubSub(original)))).status).toBe(204);
    expect(await listed(app)).toHaveLength(1);

    const kept = stockChangedMessage('KEPT', 1, { deliveryAttempt: PRODUCT_STOCK_CHANGED.maxDeliveryAttempts });
    await consumer.deadLetters.record({ subscription: PRODUCT_STOCK_CHANGED.name, message: kept, reason: 'handler_failed', error: 'poison', attempts: 3 });
    expect((await app.request('/pubsub/dead-letters', intake(movedByPubSub(kept)))).status).toBe(204);
    const letters = await listed(app);
    expect(letters).toHaveLength(2);
    expect(letters.find((l) => l.event_id === kept.attributes['event_id'])).toMatchObject({ reason: 'handler_failed', last_error: 'poison' });
  });

  it('does not bring back a dead letter already replayed when Pub/Sub delivers it again', async () => {
    const { app } = deadLetterApp(db, { push });
    const original = stockChangedMessage('AGAIN', 1);
    await app.request('/pubsub/dead-letters', intake(movedByPubSub(original)));
    const [letter] = await listed(app);
    expect((await app.request(`/admin/dead-letters/${letter!.id}/replay`, { method: 'POST', headers: adminHeaders })).status).toBe(200);
    expect((await app.request('/pubsub/dead-letters', intake(movedByPubSub(original)))).status).toBe(204);
    expect(await listed(app)).toEqual([]);
    expect(await listed(app, '?include_replayed=true')).toMatchObject([{ id: letter!.id, replayed_at: expect.any(String) }]);
    expect(await effects(db)).toHaveLength(1);
  });

  it('keeps one entry for a message without an event id however often it arrives', async () => {
    const { app } = deadLetterApp(db, { push });
    const { event_id: _none, ...attributes } = stockChangedMessage('NO-ID', 1).attributes;
    const broken = movedByPubSub({ attributes, data: '{"sku":"NO-ID"}', deliveryAttempt: 1 });
    for (let i = 0; i < 2; i++) expect((await app.request('/pubsub/dead-letters', intake(broken))).status).toBe(204);
    expect(await listed(app)).toMatchObject([{ event_id: null, subscription: PRODUCT_STOCK_CHANGED.name }]);
  });

  it('files a dead letter that can be replayed through the handler once the cause is fixed', async () => {
    const poison = new Set(['FIXED']);
    const { app } = deadLetterApp(db, { push, poison });
    await app.request('/pubsub/dead-letters', intake(movedByPubSub(stockChangedMessage('FIXED', 1))));
    const [letter] = await listed(app);
    expect((await app.request(`/admin/dead-letters/${letter!.id}/replay`, { method: 'POST', headers: adminHeaders })).status).toBe(409);
    poison.clear();
    const replayed = await app.request(`/admin/dead-letters/${letter!.id}/replay`, { method: 'POST', headers: adminHeaders });
    expect(await replayed.json()).toMatchObject({ outcome: 'processed', reason: 'moved_by_pubsub' });
    expect((await effects(db)).map((e) => e.sku)).toEqual(['FIXED']);
  });

  it.each([
    ['no token', () => undefined],
    ['a token for another audience', () => signer.token({ aud: 'https://inventory-abc123-ew.a.run.app' })],
    ['a token of another service account', () => signer.token({ email: 'attacker@evil-project.iam.gserviceaccount.com' })],
  ])('answers 401 and keeps nothing for %s', async (_name, token) => {
    const { app } = deadLetterApp(db, { push });
    const res = await app.request('/pubsub/dead-letters', pushRequest(pushBody(movedByPubSub(stockChangedMessage('X', 1)), { subscription: DEAD_LETTER_SUBSCRIPTION }), token()));
    expect(res.status).toBe(401);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await footprint(db)).toEqual({ processed: 0, deadLetters: 0, effects: 0 });
  });

  it.each([
    ['the dead-letter subscription of another service', 'cart.stock.rejected.dead-letter.sub', PROJECT],
    ['a source subscription instead of a dead-letter one', PRODUCT_STOCK_CHANGED.name, PROJECT],
    ['a dead-letter subscription of another project', DEAD_LETTER_SUBSCRIPTION, 'other-project'],
  ])('keeps a push from %s as an unknown-subscription dead letter, never under a subscription of this service', async (_name, subscription, project) => {
    const { app } = deadLetterApp(db, { push });
    const res = await app.request('/pubsub/dead-letters', pushRequest(pushBody(movedByPubSub(stockChangedMessage('X', 1)), { subscription, project }), signer.token()));
    expect(res.status).toBe(204);
    expect(await listed(app)).toMatchObject([{ subscription: '(unknown)', reason: 'unknown_subscription' }]);
  });

  it('answers 503 (Pub/Sub redelivers) when the list cannot be written', async () => {
    const unreachable = new pg.Pool({ connectionString: db.url });
    await unreachable.end();
    const { app } = createHttpApp({
      service: 'product',
      version: 'test',
      logger: testLogger(),
      identity: { adminToken: testServiceConfig.ADMIN_API_TOKEN, supportToken: testServiceConfig.SUPPORT_API_TOKEN, isKnownCustomer: async () => false },
      readiness: {},
    });
    registerDeadLetterIntakeRoute(app, { deadLetters: createDeadLetterStore(unreachable, 'product'), subscriptions: subscriptionsOf('product'), logger: testLogger(), push });
    const res = await app.request('/pubsub/dead-letters', intake(movedByPubSub(stockChangedMessage('DOWN', 1))));
    expect(res.status).toBe(503);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  });

  it('keeps a body that is not a push envelope as an undecodable dead letter', async () => {
    const { app } = deadLetterApp(db, { push });
    expect((await app.request('/pubsub/dead-letters', pushRequest('{"message": ', signer.token()))).status).toBe(204);
    expect(await listed(app)).toMatchObject([{ subscription: '(unknown)', reason: 'undecodable' }]);
  });
});
