import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, refuseIdempotentAnswers, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import type { createApp } from '../src/app';
import { customerApp, customersTable, JANE, JOHN, NOBODY } from './customer-test-app';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  app = (await customerApp(db)).app;
});

interface Customer {
  customer_id: string;
  name: string;
  email: string;
  created_at: string;
  updated_at: string;
}

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  errors?: { field: string; message: string }[];
}

const asCustomer = (id: string) => ({ 'X-Customer-Id': id });
const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

async function problem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  expect(res.headers.get('X-Request-Id')).toBeTruthy();
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
  expect(body.request_id).toBe(res.headers.get('X-Request-Id'));
  return body;
}

async function create(name: string, email: string): Promise<Customer> {
  const res = await app.request('/customers', json('POST', { name, email }, adminHeaders));
  expect(res.status).toBe(201);
  return (await res.json()) as Customer;
}

/** Runs `request` and asserts it was refused with `status` without changing a single customer row. */
async function refusedUnchanged(status: number, request: () => Response | Promise<Response>): Promise<ProblemBody> {
  const before = await customersTable(db);
  const body = await problem(await request(), status);
  expect(await customersTable(db)).toEqual(before);
  return body;
}

describe('customer service: common endpoints', () => {
  it('answers GET / with its name and version', async () => {
    const res = await app.request('/');
    expect(await res.json()).toEqual({ status: 'ok', service: 'customer', version: 'test' });
  });

  it('answers /healthz and /readyz with the database up', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', transport: 'ok' } });
  });

  it('documents its routes in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(Object.keys(doc.paths['/customers']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/customers/{id}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(doc.paths['/customers']!['post']!.requestBody).toBeDefined();
  });

  it('answers 404 for an unknown route', async () => {
    await problem(await app.request('/customer'), 404);
    await problem(await app.request(`/customers/${JOHN}/orders`, { headers: supportHeaders }), 404);
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const onItem = await app.request(`/customers/${JOHN}`, { method: 'PATCH', headers: adminHeaders });
    await problem(onItem, 405);
    expect(onItem.headers.get('Allow')).toBe('DELETE, GET, HEAD, PUT');
    const onList = await app.request('/customers', { method: 'DELETE', headers: adminHeaders });
    await problem(onList, 405);
    expect(onList.headers.get('Allow')).toBe('GET, HEAD, POST');
  });

  it('echoes a well-formed X-Request-Id and makes one up otherwise', async () => {
    const echoed = await app.request(`/customers/${JOHN}`, { headers: { ...supportHeaders, 'X-Request-Id': 'front-abc-123' } });
    expect(echoed.headers.get('X-Request-Id')).toBe('front-abc-123');
    const made = await app.request(`/customers/${JOHN}`, { headers: { ...supportHeaders, 'X-Request-Id': 'bad id with spaces' } });
    expect(made.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('POST /customers', () => {
  it('creates a customer with 201 and a Location that reads it back', async () => {
    const res = await app.request('/customers', json('POST', { name: '  Ada Lovelace ', email: 'Ada.Lovelace@Example.com' }, adminHeaders));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Customer;
    expect(body).toEqual({
      customer_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: 'Ada Lovelace',
      email: 'ada.lovelace@example.com',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: body.created_at,
    });
    expect(res.headers.get('Location')).toBe(`/customers/${body.customer_id}`);
    const again = await app.request(res.headers.get('Location')!, { headers: supportHeaders });
    expect(await again.json()).toEqual(body);
    const { rows } = await db.pool.query('SELECT name, email FROM customer.customers WHERE customer_id = $1', [body.customer_id]);
    expect(rows).toEqual([{ name: 'Ada Lovelace', email: 'ada.lovelace@example.com' }]);
  });

  it('answers 401 without a token, changing nothing', async () => {
    await refusedUnchanged(401, () => app.request('/customers', json('POST', { name: 'N', email: uniqueEmail('n') })));
  });

  it('answers 401 for an unknown token, changing nothing', async () => {
    await refusedUnchanged(401, () =>
      app.request('/customers', json('POST', { name: 'N', email: uniqueEmail('n') }, { Authorization: 'Bearer not-a-real-token-at-all' })),
    );
  });

  it('answers 401 to a customer identity: creating customers is staff work', async () => {
    await refusedUnchanged(401, () => app.request('/customers', json('POST', { name: 'N', email: uniqueEmail('n') }, asCustomer(JOHN))));
  });

  it('answers 403 to the support token, changing nothing', async () => {
    await refusedUnchanged(403, () => app.request('/customers', json('POST', { name: 'N', email: uniqueEmail('n') }, supportHeaders)));
  });

  it('accepts the bearer scheme in any case', async () => {
    const res = await app.request('/customers', json('POST', { name: 'Case', email: uniqueEmail('case') }, { Authorization: 'bearer local-admin-token' }));
    expect(res.status).toBe(201);
  });

  it('answers 400 for a body that is not JSON, changing nothing', async () => {
    const body = await refusedUnchanged(400, () =>
      app.request('/customers', { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: '{"name": "x",' }),
    );
    expect(body.detail).toMatch(/not valid JSON/);
  });

  it('answers 400 for an empty body, changing nothing', async () => {
    await refusedUnchanged(400, () => app.request('/customers', { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' } }));
  });

  it.each([
    ['no fields', {}, ['name', 'email']],
    ['a malformed e-mail', { name: 'X', email: 'not-an-email' }, ['email']],
    ['an empty name', { name: '   ', email: 'blank@example.com' }, ['name']],
    ['a name too long', { name: 'x'.repeat(201), email: 'long@example.com' }, ['name']],
    ['an unknown field', { name: 'X', email: 'extra@example.com', admin: true }, ['admin']],
    ['wrong types', { name: 42, email: ['a@b.c'] }, ['name', 'email']],
    ['a JSON array', [{ name: 'X', email: 'arr@example.com' }], ['(body)']],
  ])('answers 422 for %s, listing the fields, changing nothing', async (_label, input, fields) => {
    const body = await refusedUnchanged(422, () => app.request('/customers', json('POST', input, adminHeaders)));
    expect(body.errors?.map((e) => e.field).sort()).toEqual([...fields].sort());
  });

  it('answers 401, not 400 or 422, to a bad body without credentials', async () => {
    await refusedUnchanged(401, () => app.request('/customers', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{oops' }));
    await refusedUnchanged(401, () => app.request('/customers', json('POST', { nope: 1 })));
  });

  it('answers 409 for an e-mail already in use, in any case, changing nothing', async () => {
    const body = await refusedUnchanged(409, () => app.request('/customers', json('POST', { name: 'Imposter', email: 'JOHN.SMITH@example.com' }, adminHeaders)));
    expect(body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
  });

  it('answers 413 for a body over the limit, changing nothing', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(70 * 1024), email: 'big@example.com' });
    await refusedUnchanged(413, () =>
      app.request('/customers', {
        method: 'POST',
        headers: { ...adminHeaders, 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
        body,
      }),
    );
  });

  describe('with an Idempotency-Key', () => {
    it('replays the first answer, status, body and Location, creating one customer', async () => {
      const input = { name: 'Grace Hopper', email: uniqueEmail('grace') };
      const headers = { ...adminHeaders, 'Idempotency-Key': `grace-${randomUUID()}` };
      const first = await app.request('/customers', json('POST', input, headers));
      expect(first.status).toBe(201);
      const firstBody = await first.json();
      const replay = await app.request('/customers', json('POST', input, headers));
      expect(replay.status).toBe(201);
      expect(replay.headers.get('Location')).toBe(first.headers.get('Location'));
      expect(await replay.json()).toEqual(firstBody);
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM customer.customers WHERE email = $1', [input.email]);
      expect(rows[0].n).toBe(1);
    });

    it('answers 422 for the same key with another body, changing nothing', async () => {
      const key = `k-${randomUUID()}`;
      await app.request('/customers', json('POST', { name: 'First', email: uniqueEmail('first') }, { ...adminHeaders, 'Idempotency-Key': key }));
      const body = await refusedUnchanged(422, () =>
        app.request('/customers', json('POST', { name: 'Second', email: uniqueEmail('second') }, { ...adminHeaders, 'Idempotency-Key': key })),
      );
      expect(body.detail).toMatch(/Idempotency-Key/);
    });

    it('runs again after a refused first attempt, so a corrected retry succeeds', async () => {
      const key = `k-${randomUUID()}`;
      const email = uniqueEmail('retry');
      await refusedUnchanged(422, () => app.request('/customers', json('POST', { name: '', email }, { ...adminHeaders, 'Idempotency-Key': key })));
      const res = await app.request('/customers', json('POST', { name: 'Retry', email }, { ...adminHeaders, 'Idempotency-Key': key }));
      expect(res.status).toBe(201);
    });

    it('creates no customer when the answer to its key cannot be stored (they commit together)', async () => {
      const key = `k-${randomUUID()}`;
      const input = { name: 'Atomic', email: uniqueEmail('atomic') };
      const restore = await refuseIdempotentAnswers(db, 'customer');
      try {
        await refusedUnchanged(500, () => app.request('/customers', json('POST', input, { ...adminHeaders, 'Idempotency-Key': key })));
      } finally {
        await restore();
      }
      const retried = await app.request('/customers', json('POST', input, { ...adminHeaders, 'Idempotency-Key': key }));
      expect(retried.status).toBe(201);
      expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    });

    it('keeps the replay behind identity: the same key without a token is 401', async () => {
      const key = `k-${randomUUID()}`;
      const input = { name: 'Kept', email: uniqueEmail('kept') };
      await app.request('/customers', json('POST', input, { ...adminHeaders, 'Idempotency-Key': key }));
      await problem(await app.request('/customers', json('POST', input, { 'Idempotency-Key': key })), 401);
    });
  });
});

describe('GET /customers', () => {
  it('answers support and admin with a page of customers', async () => {
    for (const headers of [supportHeaders, adminHeaders]) {
      const res = await app.request('/customers', { headers });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Customer[]; next_cursor: string | null };
      expect(page).toEqual({ items: expect.any(Array), next_cursor: null });
      expect(page.items.map((c) => c.customer_id)).toEqual(expect.arrayContaining([JOHN, JANE]));
      expect(Object.keys(page.items[0]!).sort()).toEqual(['created_at', 'customer_id', 'email', 'name', 'updated_at']);
    }
  });

  it('answers 401 to a customer and to nobody', async () => {
    await problem(await app.request('/customers', { headers: asCustomer(JOHN) }), 401);
    await problem(await app.request('/customers'), 401);
  });

  it('pages with limit and an opaque cursor, oldest first, without gaps or repeats', async () => {
    for (let i = 0; i < 4; i++) await create(`Pager ${i}`, uniqueEmail(`pager${i}`));
    const { rows } = await db.pool.query<{ customer_id: string }>('SELECT customer_id FROM customer.customers ORDER BY created_at, customer_id');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await app.request(`/customers?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: supportHeaders });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Customer[]; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((c) => c.customer_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toEqual(rows.map((r) => r.customer_id));
  });

  it('defaults limit to 50 and accepts up to 200', async () => {
    await db.pool.query(
      `INSERT INTO customer.customers (customer_id, name, email)
       SELECT gen_random_uuid(), 'Bulk ' || n, 'bulk' || n || '-' || gen_random_uuid() || '@example.com' FROM generate_series(1, 60) n`,
    );
    const page = (await (await app.request('/customers', { headers: supportHeaders })).json()) as { items: unknown[]; next_cursor: string | null };
    expect(page.items).toHaveLength(50);
    expect(page.next_cursor).toEqual(expect.any(String));
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM customer.customers');
    const all = (await (await app.request('/customers?limit=200', { headers: supportHeaders })).json()) as { items: unknown[]; next_cursor: string | null };
    expect(all.items).toHaveLength(Math.min(200, rows[0].n));
  });

  it.each(['0', '201', '-5', '2.5', 'ten', ''])('answers 422 for limit=%j', async (limit) => {
    const body = await problem(await app.request(`/customers?limit=${limit}`, { headers: supportHeaders }), 422);
    expect(body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
  });

  it.each([
    ['garbage', 'definitely-not-a-cursor'],
    ['base64 JSON of another shape', Buffer.from('{"page":2}').toString('base64url')],
    ['empty', ''],
  ])('answers 422 for a %s cursor', async (_label, cursor) => {
    const body = await problem(await app.request(`/customers?cursor=${encodeURIComponent(cursor)}`, { headers: supportHeaders }), 422);
    expect(body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });
});

describe('GET /customers/:id', () => {
  it('answers the customer itself', async () => {
    const res = await app.request(`/customers/${JOHN}`, { headers: asCustomer(JOHN) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ customer_id: JOHN, name: 'John Smith', email: 'john.smith@example.com' });
  });

  it('treats ids case-insensitively', async () => {
    const res = await app.request(`/customers/${JOHN.toUpperCase()}`, { headers: asCustomer(JOHN) });
    expect(res.status).toBe(200);
  });

  it('answers 404, not 403, for another customer', async () => {
    await problem(await app.request(`/customers/${JANE}`, { headers: asCustomer(JOHN) }), 404);
  });

  it('answers support and admin for any customer', async () => {
    expect((await app.request(`/customers/${JANE}`, { headers: supportHeaders })).status).toBe(200);
    expect((await app.request(`/customers/${JANE}`, { headers: adminHeaders })).status).toBe(200);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    await problem(await app.request(`/customers/${NOBODY}`, { headers: supportHeaders }), 404);
    await problem(await app.request('/customers/not-a-uuid', { headers: supportHeaders }), 404);
  });

  it('answers 401 without identity or for an unknown customer, 400 for an X-Customer-Id that is no UUID', async () => {
    await problem(await app.request(`/customers/${JOHN}`), 401);
    await problem(await app.request(`/customers/${NOBODY}`, { headers: asCustomer(NOBODY) }), 401);
    await problem(await app.request(`/customers/${JOHN}`, { headers: asCustomer('john') }), 400);
  });

  it('answers 401 for an unknown bearer token, even beside a valid X-Customer-Id', async () => {
    await problem(await app.request(`/customers/${JOHN}`, { headers: { ...asCustomer(JOHN), Authorization: 'Bearer guessed-token-123456' } }), 401);
  });
});

describe('PUT /customers/:id', () => {
  it('updates with 200 and the resource, moving updated_at only', async () => {
    const before = await create('Old Name', uniqueEmail('old'));
    await new Promise((r) => setTimeout(r, 5));
    const newEmail = uniqueEmail('NEW').toUpperCase();
    const res = await app.request(`/customers/${before.customer_id}`, json('PUT', { name: 'New Name', email: newEmail }, adminHeaders));
    expect(res.status).toBe(200);
    const after = (await res.json()) as Customer;
    expect(after).toMatchObject({ customer_id: before.customer_id, name: 'New Name', email: newEmail.toLowerCase(), created_at: before.created_at });
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
    expect(await (await app.request(`/customers/${before.customer_id}`, { headers: supportHeaders })).json()).toEqual(after);
  });

  it('updates one field and keeps the other', async () => {
    const before = await create('Partial', uniqueEmail('partial'));
    const res = await app.request(`/customers/${before.customer_id}`, json('PUT', { name: 'Partial Two' }, adminHeaders));
    expect(await res.json()).toMatchObject({ name: 'Partial Two', email: before.email });
  });

  it('accepts the customer keeping its own e-mail', async () => {
    const before = await create('Same', uniqueEmail('same'));
    const res = await app.request(`/customers/${before.customer_id}`, json('PUT', { name: 'Same', email: before.email.toUpperCase() }, adminHeaders));
    expect(res.status).toBe(200);
  });

  it('answers 409 for an e-mail another customer has, changing nothing', async () => {
    await refusedUnchanged(409, () => app.request(`/customers/${JANE}`, json('PUT', { email: 'john.smith@example.com' }, adminHeaders)));
  });

  it('answers 403 to support, 401 to the customer itself and to nobody, changing nothing', async () => {
    await refusedUnchanged(403, () => app.request(`/customers/${JANE}`, json('PUT', { name: 'Hacked' }, supportHeaders)));
    await refusedUnchanged(401, () => app.request(`/customers/${JANE}`, json('PUT', { name: 'Hacked' }, asCustomer(JANE))));
    await refusedUnchanged(401, () => app.request(`/customers/${JANE}`, json('PUT', { name: 'Hacked' })));
  });

  it.each([
    ['an empty object', {}],
    ['an unknown field', { name: 'X', customer_id: NOBODY }],
    ['a malformed e-mail', { email: 'nope' }],
    ['an empty name', { name: '' }],
  ])('answers 422 for %s, changing nothing', async (_label, input) => {
    await refusedUnchanged(422, () => app.request(`/customers/${JANE}`, json('PUT', input, adminHeaders)));
  });

  it('answers 400 for a body that is not JSON, changing nothing', async () => {
    await refusedUnchanged(400, () => app.request(`/customers/${JANE}`, { method: 'PUT', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: 'name=x' }));
  });

  it('answers 404 for an unknown customer, changing nothing', async () => {
    await refusedUnchanged(404, () => app.request(`/customers/${NOBODY}`, json('PUT', { name: 'Ghost' }, adminHeaders)));
  });
});

describe('DELETE /customers/:id', () => {
  it('answers 204, after which the customer is unknown everywhere', async () => {
    const doomed = await create('Doomed', uniqueEmail('doomed'));
    expect((await app.request(`/customers/${doomed.customer_id}`, { headers: asCustomer(doomed.customer_id) })).status).toBe(200);
    const res = await app.request(`/customers/${doomed.customer_id}`, { method: 'DELETE', headers: adminHeaders });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await problem(await app.request(`/customers/${doomed.customer_id}`, { headers: asCustomer(doomed.customer_id) }), 401);
    await problem(await app.request(`/customers/${doomed.customer_id}`, { headers: supportHeaders }), 404);
    await problem(await app.request(`/customers/${doomed.customer_id}`, json('PUT', { name: 'Back' }, adminHeaders)), 404);
    await problem(await app.request(`/customers/${doomed.customer_id}`, { method: 'DELETE', headers: adminHeaders }), 404);
    const list = (await (await app.request('/customers?limit=200', { headers: supportHeaders })).json()) as { items: Customer[] };
    expect(list.items.map((c) => c.customer_id)).not.toContain(doomed.customer_id);
  });

  it('frees the e-mail for a new customer', async () => {
    const email = uniqueEmail('reuse');
    const first = await create('First', email);
    await app.request(`/customers/${first.customer_id}`, { method: 'DELETE', headers: adminHeaders });
    expect((await create('Second', email)).customer_id).not.toBe(first.customer_id);
  });

  it('answers 403 to support and 401 to the customer itself, changing nothing', async () => {
    await refusedUnchanged(403, () => app.request(`/customers/${JANE}`, { method: 'DELETE', headers: supportHeaders }));
    await refusedUnchanged(401, () => app.request(`/customers/${JANE}`, { method: 'DELETE', headers: asCustomer(JANE) }));
  });

  it('answers 404 for an unknown or malformed id', async () => {
    await refusedUnchanged(404, () => app.request(`/customers/${NOBODY}`, { method: 'DELETE', headers: adminHeaders }));
    await refusedUnchanged(404, () => app.request('/customers/123', { method: 'DELETE', headers: adminHeaders }));
  });
});
