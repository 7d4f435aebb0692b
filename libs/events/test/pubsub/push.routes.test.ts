import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import type { PushOptions } from '../../src';
import { createEffectsTable, effects, PRODUCT_STOCK_CHANGED, stockChangedMessage } from '../fixtures';
import { AUDIENCE, createTestSigner, footprint, PROJECT, PUSH_SERVICE_ACCOUNT, pushApp, pushBody, pushRequest, resetProduct } from './support';

const db: TestDatabase = await useTestDatabase({ poolMax: 20 });
await createEffectsTable(db);
const signer = createTestSigner();
const push: PushOptions = { verify: true, audience: AUDIENCE, serviceAccountEmail: PUSH_SERVICE_ACCOUNT, projectId: PROJECT, certs: signer.certs };

beforeEach(() => resetProduct(db));

async function deadLetters(): Promise<{ subscription: string; reason: string; event_id: string | null }[]> {
  const { rows } = await db.pool.query('SELECT subscription, reason, event_id FROM product.dead_letters ORDER BY id');
  return rows;
}

describe('POST /pubsub/push', () => {
  it('changes nothing when the same message is pushed twice', async () => {
    const { app } = pushApp(db, { push });
    const body = pushBody(stockChangedMessage('SKU-1', 1));
    expect((await app.request('/pubsub/push', pushRequest(body, signer.token()))).status).toBe(204);
    expect((await app.request('/pubsub/push', pushRequest(body, signer.token()))).status).toBe(204);
    expect(await footprint(db)).toEqual({ processed: 1, deadLetters: 0, effects: 1 });
  });

  it('has one effect when ten copies are pushed at the same moment', async () => {
    const { app } = pushApp(db, { push });
    const body = pushBody(stockChangedMessage('SKU-1', 1));
    const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await app.request('/pubsub/push', pushRequest(body, signer.token()))).status));
    expect(statuses.every((s) => s === 204)).toBe(true);
    expect(await footprint(db)).toEqual({ processed: 1, deadLetters: 0, effects: 1 });
  });

  it('answers 503 when the handler fails, changing nothing, then 204 when the redelivery succeeds', async () => {
    const poison = new Set(['BAD']);
    const { app } = pushApp(db, { push, poison });
    const message = stockChangedMessage('BAD', 1);
    const failed = await app.request('/pubsub/push', pushRequest(pushBody(message, { deliveryAttempt: 1 }), signer.token()));
    expect(failed.status).toBe(503);
    expect(failed.headers.get('Content-Type')).toBe('application/problem+json');
    expect(JSON.stringify(await failed.json())).not.toContain('poison');
    expect(await footprint(db)).toEqual({ processed: 0, deadLetters: 0, effects: 0 });
    poison.clear();
    const redelivered = await app.request('/pubsub/push', pushRequest(pushBody(message, { deliveryAttempt: 2 }), signer.token()));
    expect(redelivered.status).toBe(204);
    expect(await footprint(db)).toEqual({ processed: 1, deadLetters: 0, effects: 1 });
  });

  it('answers 503 for an unknown event_version, so Pub/Sub redelivers it: not processed, not dead-lettered', async () => {
    const { app } = pushApp(db, { push });
    const message = stockChangedMessage('NEXT', 1);
    const v2 = { ...message, attributes: { ...message.attributes, event_version: '2' } };
    const res = await app.request('/pubsub/push', pushRequest(pushBody(v2, { deliveryAttempt: 1 }), signer.token()));
    expect(res.status).toBe(503);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await footprint(db)).toEqual({ processed: 0, deadLetters: 0, effects: 0 });
  });

  it('acknowledges and dead-letters a message that fails on its last attempt, taking deliveryAttempt from the body', async () => {
    const { app } = pushApp(db, { push, poison: new Set(['BAD']) });
    const body = pushBody(stockChangedMessage('BAD', 1), { deliveryAttempt: PRODUCT_STOCK_CHANGED.maxDeliveryAttempts });
    expect((await app.request('/pubsub/push', pushRequest(body, signer.token()))).status).toBe(204);
    expect(await deadLetters()).toMatchObject([{ subscription: PRODUCT_STOCK_CHANGED.name, reason: 'handler_failed' }]);
  });

  const valid = () => JSON.parse(pushBody(stockChangedMessage('SKU-1', 1))) as { message: Record<string, unknown>; subscription: string };
  const undecodable: [string, () => string, string, string][] = [
    ['a body that is not JSON', () => '{"message": ', '(unknown)', 'undecodable'],
    ['a body without a message', () => JSON.stringify({ subscription: valid().subscription }), PRODUCT_STOCK_CHANGED.name, 'undecodable'],
    ['data that is not base64', () => JSON.stringify({ ...valid(), message: { ...valid().message, data: '%%% not base64 %%%' } }), PRODUCT_STOCK_CHANGED.name, 'undecodable'],
    ['data that is base64 but not JSON', () => JSON.stringify({ ...valid(), message: { ...valid().message, data: Buffer.from([0xff, 0x00]).toString('base64') } }), PRODUCT_STOCK_CHANGED.name, 'undecodable'],
    ['a subscription this service does not have', () => JSON.stringify({ ...valid(), subscription: `projects/${PROJECT}/subscriptions/cart.stock.rejected` }), 'cart.stock.rejected', 'unknown_subscription'],
    ['a subscription of another project', () => JSON.stringify({ ...valid(), subscription: `projects/other-project/subscriptions/${PRODUCT_STOCK_CHANGED.name}` }), PRODUCT_STOCK_CHANGED.name, 'unknown_subscription'],
    ['an invalid payload', () => pushBody(stockChangedMessage('SKU-1', 1, { data: JSON.stringify({ sku: 'SKU-1', available: -1, version: 1 }) })), PRODUCT_STOCK_CHANGED.name, 'invalid_payload'],
  ];

  it.each(undecodable)('acknowledges %s with 204 and keeps it as a dead letter', async (_name, body, subscription, reason) => {
    const { app } = pushApp(db, { push });
    const res = await app.request('/pubsub/push', pushRequest(body(), signer.token()));
    expect(res.status).toBe(204);
    expect(await deadLetters()).toMatchObject([{ subscription, reason }]);
    expect(await effects(db)).toHaveLength(0);
  });

  it('processes pushes without a token when verification is off (the emulator)', async () => {
    const { app } = pushApp(db, { push: { verify: false } });
    expect((await app.request('/pubsub/push', pushRequest(pushBody(stockChangedMessage('SKU-1', 1))))).status).toBe(204);
    expect(await effects(db)).toHaveLength(1);
  });
});

describe('POST /pubsub/push on a batching subscription', () => {
  it('groups 20 concurrent pushes into fewer deliveries; each answers for its own message, the poison one alone fails', async () => {
    const { app, consumer } = pushApp(db, { push, poison: new Set(['POISON']), batch: { maxMessages: 50, maxWaitMs: 50 } });
    const deliver = vi.spyOn(consumer, 'deliver');
    const skus = Array.from({ length: 20 }, (_, i) => (i === 7 ? 'POISON' : `SKU-${i}`));
    const statuses = await Promise.all(
      skus.map(async (sku) => (await app.request('/pubsub/push', pushRequest(pushBody(stockChangedMessage(sku, 1)), signer.token()))).status),
    );
    expect(statuses).toEqual(skus.map((sku) => (sku === 'POISON' ? 503 : 204)));
    expect(deliver.mock.calls.length).toBeLessThan(20);
    expect(deliver.mock.calls.flatMap((call) => call[1]).length).toBe(20);
    expect((await effects(db)).map((e) => e.sku).sort()).toEqual(skus.filter((s) => s !== 'POISON').sort());
    expect(await footprint(db)).toMatchObject({ processed: 19, deadLetters: 0 });
  });

  it('delivers a full group at once without waiting for the timer', async () => {
    const { app, consumer } = pushApp(db, { push, batch: { maxMessages: 5, maxWaitMs: 60_000 } });
    const deliver = vi.spyOn(consumer, 'deliver');
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => (await app.request('/pubsub/push', pushRequest(pushBody(stockChangedMessage(`SKU-${i}`, 1)), signer.token()))).status),
    );
    expect(statuses.every((s) => s === 204)).toBe(true);
    expect(deliver.mock.calls.map((call) => call[1].length)).toEqual([5, 5]);
  });
});
