import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@shop/db';
import { testAppContext } from '@shop/service/test';
import { adminHeaders, freePort, json, supportHeaders } from '@shop/testing';
import { createApp } from '../src/app';
import { JOHN } from './customer-test-app';

// A database nobody listens for: every query fails at once with a connection error naming host and port.
let db: Database;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = createDatabase(`postgresql://shop_user:s3cret-password@127.0.0.1:${await freePort()}/shop`, { poolMax: 2 });
  app = createApp(testAppContext('customer', db)).app;
});

afterAll(() => db.close());

/**
 * A database that cannot be reached is a passing condition, not a bug: 503 with Retry-After, so that clients
 * and load balancers try again, and as for any failure nothing of the cause reaches the client.
 */
async function expectGeneric503(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  expect(res.headers.get('Retry-After')).toBe('2');
  const text = await res.text();
  expect(JSON.parse(text)).toMatchObject({ status: 503, title: 'Service unavailable', type: 'https://problems.shop.example/unavailable' });
  for (const secret of ['127.0.0.1', 'ECONNREFUSED', 's3cret', 'shop_user', 'prisma', 'Prisma', 'stack', 'at ']) {
    expect(text).not.toContain(secret);
  }
}

describe('customer service with its database down', () => {
  it('answers 503 with Retry-After and without internals when a query cannot reach it', async () => {
    await expectGeneric503(await app.request('/customers', { headers: supportHeaders }));
    await expectGeneric503(await app.request(`/customers/${JOHN}`, { headers: adminHeaders }));
    await expectGeneric503(await app.request('/customers', json('POST', { name: 'N', email: 'n@example.com' }, adminHeaders)));
  });

  it('answers 503, not 401, when the customer check itself cannot reach it', async () => {
    await expectGeneric503(await app.request(`/customers/${JOHN}`, { headers: { 'X-Customer-Id': JOHN } }));
  });

  it('still refuses bad input with 4xx before touching the database', async () => {
    expect((await app.request('/customers', json('POST', { name: '' }, adminHeaders))).status).toBe(422);
    expect((await app.request('/customers?limit=0', { headers: supportHeaders })).status).toBe(422);
  });

  it('answers /readyz 503 while /healthz stays 200', async () => {
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { database: 'unavailable' } });
    expect((await app.request('/healthz')).status).toBe(200);
  });
});
