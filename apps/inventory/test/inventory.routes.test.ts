import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { deliver, inventoryContext, message, orderCreated, orderRequested, outbox, outboxMark, reservationFor, seedStock, stockOf } from './inventory-test-kit';

let db: TestDatabase;
let context: ReturnType<typeof inventoryContext>;
let app: ReturnType<typeof inventoryContext>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  context = inventoryContext(db);
  app = context.app;
});

interface Stock {
  sku: string;
  available: number;
  reserved: number;
  updated_at: string;
}

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

const CUSTOMER_HEADERS = { 'X-Customer-Id': '550e8400-e29b-41d4-a716-446655440000' };
const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const path = (sku: string) => `/inventory/${encodeURIComponent(sku)}`;

async function problem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
  return body;
}

/** Everything a refused request must leave alone: the stock, the tombstones, the reservations, the outbox. */
async function snapshot(): Promise<unknown[]> {
  const tables = ['inventory.stock', 'inventory.deleted_stock', 'inventory.reservations', 'inventory.outbox'];
  return Promise.all(tables.map(async (t) => (await db.pool.query(`SELECT * FROM ${t} ORDER BY 1`)).rows));
}

async function refusedUnchanged(status: number, request: () => Response | Promise<Response>): Promise<ProblemBody> {
  const before = await snapshot();
  const body = await problem(await request(), status);
  expect(await snapshot()).toEqual(before);
  return body;
}

async function create(sku: string, available: number): Promise<Stock> {
  const res = await app.request('/inventory', json('POST', { sku, available }, adminHeaders));
  expect(res.status).toBe(201);
  return (await res.json()) as Stock;
}

describe('POST /inventory', () => {
  it('creates a stock record with 201 and a Location that reads it back, and publishes stock.changed version 1', async () => {
    const sku = fresh('NEW');
    const mark = await outboxMark(db);
    const res = await app.request('/inventory', json('POST', { sku, available: 12 }, adminHeaders));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Stock;
    expect(body).toEqual({ sku, available: 12, reserved: 0, updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(res.headers.get('Location')).toBe(`/inventory/${sku}`);
    expect(await (await app.request(res.headers.get('Location')!, { headers: supportHeaders })).json()).toEqual(body);
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual([['stock.changed', { sku, available: 12, version: 1 }]]);
  });

  it('accepts a SKU the catalog does not know, and zero units', async () => {
    expect((await create(fresh('UNLISTED'), 0)).available).toBe(0);
  });

  it('percent-encodes a SKU with reserved characters in Location, which reads it back', async () => {
    const sku = `odd/sku ${randomUUID().slice(0, 4)}?#%`;
    const res = await app.request('/inventory', json('POST', { sku, available: 1 }, adminHeaders));
    expect(res.status).toBe(201);
    const location = res.headers.get('Location')!;
    expect(location).toBe(`/inventory/${encodeURIComponent(sku)}`);
    const again = await app.request(location, { headers: supportHeaders });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ sku });
  });

  it('answers 409 when the SKU already has a record, changing nothing', async () => {
    const sku = fresh('DUP');
    await create(sku, 3);
    const body = await refusedUnchanged(409, () => app.request('/inventory', json('POST', { sku, available: 9 }, adminHeaders)));
    expect(body.detail).toContain(sku);
    expect(await stockOf(db, sku)).toMatchObject({ available: 3 });
  });

  it('answers 401 without a token or with a customer identity, 403 to support, changing nothing', async () => {
    await refusedUnchanged(401, () => app.request('/inventory', json('POST', { sku: fresh('X'), available: 1 })));
    await refusedUnchanged(401, () => app.request('/inventory', json('POST', { sku: fresh('X'), available: 1 }, { Authorization: 'Bearer wrong-token-value' })));
    await refusedUnchanged(401, () => app.request('/inventory', json('POST', { sku: fresh('X'), available: 1 }, CUSTOMER_HEADERS)));
    await refusedUnchanged(403, () => app.request('/inventory', json('POST', { sku: fresh('X'), available: 1 }, supportHeaders)));
  });

  it('answers 400 for a body that is not JSON or is empty, changing nothing', async () => {
    await refusedUnchanged(400, () => app.request('/inventory', { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: '{"sku":' }));
    await refusedUnchanged(400, () => app.request('/inventory', { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' } }));
  });

  it.each([
    ['a negative level', { sku: 'NEG-1', available: -1 }, ['available']],
    ['a fractional level', { sku: 'FRAC-1', available: 1.5 }, ['available']],
    ['a level as a string', { sku: 'STR-1', available: '5' }, ['available']],
    ['a level beyond the column', { sku: 'HUGE-1', available: 2 ** 31 }, ['available']],
    ['a level above 10⁹, which releases could push past the column', { sku: 'HUGE-2', available: 1_000_000_001 }, ['available']],
    ['no fields', {}, ['sku', 'available']],
    ['an empty SKU', { sku: '', available: 1 }, ['sku']],
    ['a SKU with surrounding spaces', { sku: ' X ', available: 1 }, ['sku']],
    ['an unknown field', { sku: 'UNK-1', available: 1, reserved: 0 }, ['reserved']],
    ['a NUL character, which PostgreSQL cannot store', { sku: 'N\u00001', available: 1 }, ['sku']],
  ])('answers 422 for %s, listing the fields, changing nothing', async (_label, input, fields) => {
    const body = await refusedUnchanged(422, () => app.request('/inventory', json('POST', input, adminHeaders)));
    expect([...new Set(body.errors?.map((e) => e.field))].sort()).toEqual([...fields].sort());
  });
});

describe('GET /inventory/:sku', () => {
  it('answers support and admin with sku, available, reserved and updated_at', async () => {
    const sku = fresh('READ');
    await create(sku, 8);
    await deliver(context, 'order-requested', [message('order-requested', orderRequested([[sku, 3]]))]);
    for (const headers of [supportHeaders, adminHeaders]) {
      const res = await app.request(path(sku), { headers });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Stock;
      expect(Object.keys(body).sort()).toEqual(['available', 'reserved', 'sku', 'updated_at']);
      expect(body).toMatchObject({ sku, available: 5, reserved: 3 });
    }
  });

  it('answers 404 for a SKU without a record, or one that cannot be a SKU', async () => {
    await problem(await app.request(path(fresh('NONE')), { headers: supportHeaders }), 404);
    await problem(await app.request('/inventory/A%00B', { headers: supportHeaders }), 404);
    await problem(await app.request(`/inventory/${'S'.repeat(65)}`, { headers: supportHeaders }), 404);
  });

  it('answers 401 to a customer and to nobody', async () => {
    const sku = fresh('PRIV');
    await create(sku, 1);
    await problem(await app.request(path(sku)), 401);
    await problem(await app.request(path(sku), { headers: CUSTOMER_HEADERS }), 401);
  });
});

describe('GET /inventory', () => {
  it('pages through every record in SKU order without gaps or repeats', async () => {
    for (let i = 0; i < 7; i++) await create(fresh(`PAGE${i}`), i);
    const { rows } = await db.pool.query<{ sku: string }>('SELECT sku FROM inventory.stock ORDER BY sku');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await app.request(`/inventory?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: supportHeaders });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Stock[]; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((s) => s.sku));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen).toEqual(rows.map((r) => r.sku));
  });

  it('defaults limit to 50 and accepts up to 200', async () => {
    await seedStock(db, Object.fromEntries(Array.from({ length: 60 }, (_, i) => [fresh(`BULK${i}`), i])));
    const page = (await (await app.request('/inventory', { headers: adminHeaders })).json()) as { items: Stock[]; next_cursor: string | null };
    expect(page.items).toHaveLength(50);
    expect(page.next_cursor).toEqual(expect.any(String));
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM inventory.stock');
    const all = (await (await app.request('/inventory?limit=200', { headers: adminHeaders })).json()) as { items: Stock[] };
    expect(all.items).toHaveLength(Math.min(200, rows[0]!.n));
  });

  it.each(['0', '201', '-1', '2.5', 'many', ''])('answers 422 for limit=%j', async (limit) => {
    const body = await problem(await app.request(`/inventory?limit=${limit}`, { headers: supportHeaders }), 422);
    expect(body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
  });

  it.each(['garbage', Buffer.from('{"page":2}').toString('base64url'), ''])('answers 422 for the cursor %j', async (cursor) => {
    const body = await problem(await app.request(`/inventory?cursor=${encodeURIComponent(cursor)}`, { headers: supportHeaders }), 422);
    expect(body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });

  it('answers 401 to a customer and to nobody', async () => {
    await problem(await app.request('/inventory'), 401);
    await problem(await app.request('/inventory', { headers: CUSTOMER_HEADERS }), 401);
  });
});

describe('PUT /inventory/:sku', () => {
  it('sets available with 200 and the record, bumps the version and publishes stock.changed', async () => {
    const sku = fresh('SET');
    const before = await create(sku, 4);
    await new Promise((r) => setTimeout(r, 5));
    const mark = await outboxMark(db);
    const res = await app.request(path(sku), json('PUT', { available: 40 }, adminHeaders));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Stock;
    expect(body).toMatchObject({ sku, available: 40, reserved: 0 });
    expect(Date.parse(body.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual([['stock.changed', { sku, available: 40, version: 2 }]]);
  });

  it('keeps the units reservations hold', async () => {
    const sku = fresh('HELD');
    await create(sku, 10);
    await deliver(context, 'order-requested', [message('order-requested', orderRequested([[sku, 4]]))]);
    const res = await app.request(path(sku), json('PUT', { sku, available: 0 }, adminHeaders));
    expect(await res.json()).toMatchObject({ available: 0, reserved: 4 });
  });

  it.each([
    ['a negative level', { available: -1 }],
    ['no level', {}],
    ['a level as a string', { available: '3' }],
    ['another SKU', { sku: 'SOMETHING-ELSE', available: 3 }],
    ['an unknown field', { available: 3, reserved: 0 }],
  ])('answers 422 for %s, changing nothing', async (_label, input) => {
    const sku = fresh('BADPUT');
    await create(sku, 5);
    await refusedUnchanged(422, () => app.request(path(sku), json('PUT', input, adminHeaders)));
  });

  it('answers 404 for a SKU without a record, 400 for a body that is not JSON, changing nothing', async () => {
    await refusedUnchanged(404, () => app.request(path(fresh('NONE')), json('PUT', { available: 1 }, adminHeaders)));
    const sku = fresh('PUT400');
    await create(sku, 5);
    await refusedUnchanged(400, () => app.request(path(sku), { method: 'PUT', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: 'available=1' }));
  });

  it('answers 403 to support and 401 to nobody, changing nothing', async () => {
    const sku = fresh('PUTAUTH');
    await create(sku, 5);
    await refusedUnchanged(403, () => app.request(path(sku), json('PUT', { available: 1 }, supportHeaders)));
    await refusedUnchanged(401, () => app.request(path(sku), json('PUT', { available: 1 })));
  });
});

describe('DELETE /inventory/:sku', () => {
  it('answers 204 and publishes stock.changed with available 0; checkouts of the SKU are then unknown_product', async () => {
    const sku = fresh('DEL');
    await create(sku, 6);
    const mark = await outboxMark(db);
    const res = await app.request(path(sku), { method: 'DELETE', headers: adminHeaders });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual([['stock.changed', { sku, available: 0, version: 2 }]]);
    await problem(await app.request(path(sku), { headers: supportHeaders }), 404);
    await problem(await app.request(path(sku), { method: 'DELETE', headers: adminHeaders }), 404);

    const rejectedMark = await outboxMark(db);
    await deliver(context, 'order-requested', [message('order-requested', orderRequested([[sku, 1]]))]);
    expect((await outbox(db, rejectedMark))[0]!.payload).toMatchObject({ reason: 'unknown_product' });
  });

  it('continues the version when a deleted SKU gets a record again, so consumers take the new stock', async () => {
    const sku = fresh('AGAIN');
    await create(sku, 6);
    await app.request(path(sku), json('PUT', { available: 7 }, adminHeaders));
    await app.request(path(sku), { method: 'DELETE', headers: adminHeaders });
    const mark = await outboxMark(db);
    await create(sku, 9);
    expect((await outbox(db, mark)).map((e) => e.payload)).toEqual([{ sku, available: 9, version: 4 }]);
    expect(await stockOf(db, sku)).toEqual({ available: 9, reserved: 0, version: 4 });
  });

  it('answers 409 while a reservation holds units of the SKU, changing nothing; after the order is created it deletes', async () => {
    const sku = fresh('HELD');
    await create(sku, 6);
    const request = orderRequested([[sku, 2]]);
    await deliver(context, 'order-requested', [message('order-requested', request)]);
    const body = await refusedUnchanged(409, () => app.request(path(sku), { method: 'DELETE', headers: adminHeaders }));
    expect(body.detail).toMatch(/reservation/);
    const { reservation_id } = (await reservationFor(db, request.request_id))!;
    await deliver(context, 'order.created', [message('order.created', orderCreated(request, reservation_id))]);
    expect((await app.request(path(sku), { method: 'DELETE', headers: adminHeaders })).status).toBe(204);
  });

  it('answers 404 for a SKU without a record, 403 to support, 401 to nobody, changing nothing', async () => {
    await refusedUnchanged(404, () => app.request(path(fresh('NONE')), { method: 'DELETE', headers: adminHeaders }));
    const sku = fresh('DELAUTH');
    await create(sku, 1);
    await refusedUnchanged(403, () => app.request(path(sku), { method: 'DELETE', headers: supportHeaders }));
    await refusedUnchanged(401, () => app.request(path(sku), { method: 'DELETE' }));
  });
});

describe('inventory routes', () => {
  it('document themselves in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/inventory']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/inventory/{sku}']!).sort()).toEqual(['delete', 'get', 'put']);
  });

  it('answer 405 with Allow for a wrong method', async () => {
    const res = await app.request('/inventory', { method: 'PATCH', headers: adminHeaders });
    await problem(res, 405);
    expect(res.headers.get('Allow')).toBe('GET, HEAD, POST');
  });
});
