import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, useTestDatabase, type TestDatabase } from '@shop/testing';
import type { createApp } from '../src/app';
import { customerApp, JOHN } from './customer-test-app';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  app = (await customerApp(db)).app;
});

async function outbox(): Promise<{ topic: string; payload: Record<string, unknown>; attributes: Record<string, string> }[]> {
  const { rows } = await db.pool.query('SELECT topic, payload, attributes FROM customer.outbox ORDER BY id');
  return rows;
}

describe('customer events', () => {
  it('commits customer.upserted with a created customer, in the same transaction', async () => {
    const before = (await outbox()).length;
    const res = await app.request('/customers', json('POST', { name: 'Grace Hopper', email: 'grace@example.com' }, adminHeaders));
    const created = (await res.json()) as { customer_id: string };
    const events = (await outbox()).slice(before);
    expect(events).toEqual([
      expect.objectContaining({
        topic: 'customer.upserted',
        payload: { customer_id: created.customer_id, name: 'Grace Hopper', email: 'grace@example.com' },
        attributes: expect.objectContaining({ event_type: 'customer.upserted', producer: 'customer', correlation_id: created.customer_id }),
      }),
    ]);
  });

  it('publishes customer.upserted on update and customer.deleted on delete', async () => {
    const before = (await outbox()).length;
    expect((await app.request(`/customers/${JOHN}`, json('PUT', { name: 'Johnny Smith' }, adminHeaders))).status).toBe(200);
    expect((await app.request(`/customers/${JOHN}`, { method: 'DELETE', headers: adminHeaders })).status).toBe(204);
    expect((await outbox()).slice(before).map((e) => [e.topic, e.payload])).toEqual([
      ['customer.upserted', { customer_id: JOHN, name: 'Johnny Smith', email: 'john.smith@example.com' }],
      ['customer.deleted', { customer_id: JOHN }],
    ]);
  });

  it('publishes nothing for a refused request', async () => {
    const before = (await outbox()).length;
    const taken = await app.request('/customers', json('POST', { name: 'Copy', email: 'grace@example.com' }, adminHeaders));
    expect(taken.status).toBe(409);
    const missing = await app.request('/customers/6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a', { method: 'DELETE', headers: adminHeaders });
    expect(missing.status).toBe(404);
    expect(await outbox()).toHaveLength(before);
  });
});
