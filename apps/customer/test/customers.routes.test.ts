import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, supportHeaders, testLogger, testServiceConfig, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  app = createApp({ config: testServiceConfig, db, logger: testLogger() }).app;
});

describe('POST /customers', () => {
  it('creates a customer with 201 and a Location that reads it back', async () => {
    const res = await app.request('/customers', json('POST', { name: 'Ada Lovelace', email: 'Ada@Example.com' }, adminHeaders));
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
    const again = await app.request(res.headers.get('Location')!, { headers: supportHeaders });
    expect(await again.json()).toEqual(body);
  });
});
