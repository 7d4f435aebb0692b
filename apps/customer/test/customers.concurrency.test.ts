import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, useTestDatabase, type TestDatabase } from '@shop/testing';
import type { createApp } from '../src/app';
import { customerApp } from './customer-test-app';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 20 });
  app = (await customerApp(db)).app;
});

async function rowsWithEmail(email: string): Promise<{ customer_id: string }[]> {
  return (await db.pool.query<{ customer_id: string }>('SELECT customer_id FROM customer.customers WHERE email = $1', [email])).rows;
}

describe('POST /customers under concurrency', () => {
  it('creates exactly one of 20 concurrent customers with one e-mail; the rest are 409', async () => {
    const email = `race-${randomUUID()}@example.com`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => app.request('/customers', json('POST', { name: `Racer ${i}`, email }, adminHeaders))),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
    for (const res of answers.filter((r) => r.status === 409)) {
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    }
    expect(await rowsWithEmail(email)).toHaveLength(1);
  });

  it('creates one customer for 10 concurrent requests with one Idempotency-Key; each answer is that 201 or a 409 in progress', async () => {
    const input = { name: 'Once Only', email: `once-${randomUUID()}@example.com` };
    const headers = { ...adminHeaders, 'Idempotency-Key': `once-${randomUUID()}` };
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.request('/customers', json('POST', input, headers))));
    const rows = await rowsWithEmail(input.email);
    expect(rows).toHaveLength(1);
    const created = rows[0]!.customer_id;
    let successes = 0;
    for (const res of answers) {
      if (res.status === 201) {
        successes++;
        expect(res.headers.get('Location')).toBe(`/customers/${created}`);
        expect(await res.json()).toMatchObject({ customer_id: created, ...input });
      } else {
        expect(res.status).toBe(409);
        expect(((await res.json()) as { detail: string }).detail).toMatch(/still being processed/);
      }
    }
    expect(successes).toBeGreaterThanOrEqual(1);
    // Once settled, a repeat replays the one answer.
    const replay = await app.request('/customers', json('POST', input, headers));
    expect(replay.status).toBe(201);
    expect(await replay.json()).toMatchObject({ customer_id: created });
  });

  it('creates one customer for 10 concurrent requests with one key and different bodies; the rest are 422', async () => {
    const key = `mixed-${randomUUID()}`;
    const bodies = Array.from({ length: 10 }, (_, i) => ({ name: `Mixed ${i}`, email: `mixed-${i}-${randomUUID()}@example.com` }));
    const answers = await Promise.all(bodies.map((b) => app.request('/customers', json('POST', b, { ...adminHeaders, 'Idempotency-Key': key }))));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(9).fill(422)]);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM customer.customers WHERE name LIKE 'Mixed %'`);
    expect(rows[0]!.n).toBe(1);
  });
});
