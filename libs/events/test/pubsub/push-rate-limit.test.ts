import { describe, expect, it } from 'vitest';
import { createHttpApp, defineRoute } from '@shop/http';
import { adminHeaders, testLogger, testServiceConfig, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createConsumer, createPublisher, registerDeadLetterRoutes, registerPushRoute } from '../../src';
import { createEffectsTable, effects, PRODUCT_STOCK_CHANGED, stockChangedHandler, stockChangedMessage } from '../fixtures';
import { pushBody, pushRequest, resetProduct } from './support';

const db: TestDatabase = await useTestDatabase({ poolMax: 5 });
await createEffectsTable(db);

/** The event routes on an app whose rate limit allows one request per principal or address, and a public route to prove it. */
function strictlyLimitedApp() {
  const logger = testLogger();
  const consumer = createConsumer({ db, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger });
  consumer.register(PRODUCT_STOCK_CHANGED, stockChangedHandler());
  const { app } = createHttpApp({
    service: 'product',
    version: 'test',
    logger,
    identity: { adminToken: testServiceConfig.ADMIN_API_TOKEN, supportToken: testServiceConfig.SUPPORT_API_TOKEN, isKnownCustomer: async () => false },
    readiness: {},
    rateLimit: { requests: 1, staffRequests: 1, windowSeconds: 60, trustClientAddress: true },
  });
  registerPushRoute(app, { consumer, logger, push: { verify: false } });
  registerDeadLetterRoutes(app, consumer);
  defineRoute(app, { method: 'get', path: '/public', summary: 'A limited public route', responses: { 200: { description: 'ok' } } }, (c) => c.json({}));
  return app;
}

// Pub/Sub's front end appends the same few addresses to every push: a limit by address would refuse deliveries.
const FROM_PUBSUB = { 'X-Forwarded-For': '35.187.0.1' };

describe('the rate limit and the event routes', () => {
  it('never limits Pub/Sub push deliveries, even keyed by a trusted address', async () => {
    await resetProduct(db);
    const app = strictlyLimitedApp();
    for (let i = 1; i <= 5; i++) {
      const init = pushRequest(pushBody(stockChangedMessage(`SKU-${i}`, 1)));
      const res = await app.request('/pubsub/push', { ...init, headers: { ...(init.headers as Record<string, string>), ...FROM_PUBSUB } });
      expect(res.status).toBe(204);
    }
    expect(await effects(db)).toHaveLength(5);
    expect((await app.request('/public', { headers: FROM_PUBSUB })).status).toBe(200);
    expect((await app.request('/public', { headers: FROM_PUBSUB })).status).toBe(429);
  });

  it('never limits the admin dead-letter routes', async () => {
    const app = strictlyLimitedApp();
    for (let i = 0; i < 5; i++) expect((await app.request('/admin/dead-letters', { headers: adminHeaders })).status).toBe(200);
  });
});
