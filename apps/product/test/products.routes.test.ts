import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, refuseIdempotentAnswers, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { fresh, outbox, outboxMark, productContext, productSnapshot, stockChanged, type ProblemBody, type Product } from './product-test-kit';

let db: TestDatabase;
let context: ReturnType<typeof productContext>;
let app: ReturnType<typeof productContext>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  context = productContext(db);
  app = context.app;
});

const CUSTOMER_HEADERS = { 'X-Customer-Id': '550e8400-e29b-41d4-a716-446655440000' };
const path = (sku: string) => `/products/${encodeURIComponent(sku)}`;

async function problem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  expect(res.headers.get('X-Request-Id')).toBeTruthy();
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
  return body;
}

async function refusedUnchanged(status: number, request: () => Response | Promise<Response>): Promise<ProblemBody> {
  const before = await productSnapshot(db);
  const body = await problem(await request(), status);
  expect(await productSnapshot(db)).toEqual(before);
  return body;
}

async function create(input: Record<string, unknown>): Promise<Product> {
  const res = await app.request('/products', json('POST', { name: 'Thing', price_cents: 1000, ...input }, adminHeaders));
  expect(res.status).toBe(201);
  return (await res.json()) as Product;
}

describe('POST /products', () => {
  it('creates a product with 201 and a Location that reads it back, with defaults and unknown availability', async () => {
    const sku = fresh('TEE');
    const res = await app.request('/products', json('POST', { sku, name: '  Organic tee ', price_cents: 1999 }, adminHeaders));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Product;
    expect(body).toEqual({
      sku,
      name: 'Organic tee',
      description: '',
      price_cents: 1999,
      currency: 'EUR',
      active: true,
      available: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: body.created_at,
    });
    expect(res.headers.get('Location')).toBe(`/products/${sku}`);
    const again = await app.request(res.headers.get('Location')!);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
  });

  it('takes every field, and shows availability inventory published before the product existed', async () => {
    const sku = fresh('EARLY');
    await context.events.consumer.deliver('product.stock.changed', [stockChanged({ sku, available: 7, version: 3 })]);
    const body = await create({ sku, name: 'Mug', description: 'Stoneware', price_cents: 0, currency: 'USD', active: false });
    expect(body).toMatchObject({ sku, name: 'Mug', description: 'Stoneware', price_cents: 0, currency: 'USD', active: false, available: 7 });
  });

  it('commits product.upserted with the product, in the same transaction', async () => {
    const sku = fresh('EVT');
    const mark = await outboxMark(db);
    await create({ sku, name: 'Cap', description: 'Navy', price_cents: 2499 });
    expect(await outbox(db, mark)).toEqual([
      {
        topic: 'product.upserted',
        payload: { sku, name: 'Cap', description: 'Navy', price_cents: 2499, currency: 'EUR', active: true },
        attributes: expect.objectContaining({ event_type: 'product.upserted', producer: 'product', correlation_id: sku }),
      },
    ]);
  });

  it('percent-encodes a SKU with reserved characters in Location, which reads it back', async () => {
    const sku = `odd/sku ${randomUUID().slice(0, 4)}?#%`;
    const res = await app.request('/products', json('POST', { sku, name: 'Odd', price_cents: 1 }, adminHeaders));
    expect(res.status).toBe(201);
    expect(res.headers.get('Location')).toBe(path(sku));
    expect(await (await app.request(res.headers.get('Location')!)).json()).toMatchObject({ sku });
  });

  it('answers 409 for a SKU already in the catalog, changing nothing', async () => {
    const sku = fresh('DUP');
    await create({ sku });
    const body = await refusedUnchanged(409, () => app.request('/products', json('POST', { sku, name: 'Other', price_cents: 5 }, adminHeaders)));
    expect(body.detail).toContain(sku);
  });

  it('answers 401 without a token, with an unknown one or with a customer identity; 403 to support; changing nothing', async () => {
    const input = { sku: fresh('AUTH'), name: 'X', price_cents: 1 };
    await refusedUnchanged(401, () => app.request('/products', json('POST', input)));
    await refusedUnchanged(401, () => app.request('/products', json('POST', input, { Authorization: 'Bearer not-the-admin-token' })));
    await refusedUnchanged(401, () => app.request('/products', json('POST', input, CUSTOMER_HEADERS)));
    await refusedUnchanged(403, () => app.request('/products', json('POST', input, supportHeaders)));
  });

  it('answers 400 for a body that is not JSON or is empty, changing nothing', async () => {
    const body = await refusedUnchanged(400, () =>
      app.request('/products', { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: '{"sku": "A",' }),
    );
    expect(body.detail).toMatch(/not valid JSON/);
    await refusedUnchanged(400, () => app.request('/products', { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' } }));
  });

  it('answers 401, not 400, to a malformed body without credentials', async () => {
    await refusedUnchanged(401, () => app.request('/products', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{oops' }));
  });

  it.each([
    ['no fields', {}, ['sku', 'name', 'price_cents']],
    ['a negative price', { sku: 'P-1', name: 'X', price_cents: -1 }, ['price_cents']],
    ['a fractional price', { sku: 'P-2', name: 'X', price_cents: 9.99 }, ['price_cents']],
    ['a price beyond the column', { sku: 'P-3', name: 'X', price_cents: 2 ** 31 }, ['price_cents']],
    ['a lower-case currency', { sku: 'P-4', name: 'X', price_cents: 1, currency: 'eur' }, ['currency']],
    ['an empty name', { sku: 'P-5', name: '  ', price_cents: 1 }, ['name']],
    ['a SKU with surrounding spaces', { sku: ' P-6', name: 'X', price_cents: 1 }, ['sku']],
    ['a SKU too long', { sku: 'S'.repeat(65), name: 'X', price_cents: 1 }, ['sku']],
    ['active as a string', { sku: 'P-7', name: 'X', price_cents: 1, active: 'yes' }, ['active']],
    ['an unknown field', { sku: 'P-8', name: 'X', price_cents: 1, available: 5 }, ['available']],
    ['a JSON array', [{ sku: 'P-9', name: 'X', price_cents: 1 }], ['(body)']],
    ['a NUL character, which PostgreSQL cannot store', { sku: 'P\u000010', name: 'X\u0000', description: '\u0000', price_cents: 1 }, ['sku', 'name', 'description']],
  ])('answers 422 for %s, listing the fields, changing nothing', async (_label, input, fields) => {
    const body = await refusedUnchanged(422, () => app.request('/products', json('POST', input, adminHeaders)));
    expect([...new Set(body.errors?.map((e) => e.field))].sort()).toEqual([...fields].sort());
  });

  describe('with an Idempotency-Key', () => {
    it('replays the first answer, status, body and Location, creating one product', async () => {
      const input = { sku: fresh('IDEM'), name: 'Once', price_cents: 100 };
      const headers = { ...adminHeaders, 'Idempotency-Key': randomUUID() };
      const mark = await outboxMark(db);
      const first = await app.request('/products', json('POST', input, headers));
      expect(first.status).toBe(201);
      const replay = await app.request('/products', json('POST', input, headers));
      expect(replay.status).toBe(201);
      expect(replay.headers.get('Location')).toBe(first.headers.get('Location'));
      expect(await replay.json()).toEqual(await first.json());
      expect(await outbox(db, mark)).toHaveLength(1);
    });

    it('answers 422 for the same key with another body, changing nothing', async () => {
      const key = randomUUID();
      await app.request('/products', json('POST', { sku: fresh('K1'), name: 'One', price_cents: 1 }, { ...adminHeaders, 'Idempotency-Key': key }));
      const body = await refusedUnchanged(422, () =>
        app.request('/products', json('POST', { sku: fresh('K2'), name: 'Two', price_cents: 2 }, { ...adminHeaders, 'Idempotency-Key': key })),
      );
      expect(body.detail).toMatch(/Idempotency-Key/);
    });

    it('adds no product when the answer to its key cannot be stored (they commit together)', async () => {
      const key = randomUUID();
      const input = { sku: fresh('ATOM'), name: 'Atomic', price_cents: 100 };
      const restore = await refuseIdempotentAnswers(db, 'product');
      try {
        await refusedUnchanged(500, () => app.request('/products', json('POST', input, { ...adminHeaders, 'Idempotency-Key': key })));
      } finally {
        await restore();
      }
      const retried = await app.request('/products', json('POST', input, { ...adminHeaders, 'Idempotency-Key': key }));
      expect(retried.status).toBe(201);
      expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    });
  });
});

describe('GET /products/:sku', () => {
  it('answers anyone, without credentials', async () => {
    const product = await create({ sku: fresh('PUB') });
    const res = await app.request(path(product.sku));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(product);
  });

  it('answers 404 for a SKU not in the catalog, or one that cannot be a SKU', async () => {
    await problem(await app.request(path(fresh('NONE'))), 404);
    await problem(await app.request(`/products/${'S'.repeat(65)}`), 404);
    await problem(await app.request('/products/A%00B'), 404);
  });
});

describe('PUT /products/:sku', () => {
  it('changes the given fields with 200 and the product, moves updated_at, and publishes the whole entry', async () => {
    const before = await create({ sku: fresh('UPD'), name: 'Old', description: 'Kept', price_cents: 500 });
    await new Promise((r) => setTimeout(r, 5));
    const mark = await outboxMark(db);
    const res = await app.request(path(before.sku), json('PUT', { name: 'New', price_cents: 750, active: false }, adminHeaders));
    expect(res.status).toBe(200);
    const after = (await res.json()) as Product;
    expect(after).toMatchObject({ sku: before.sku, name: 'New', description: 'Kept', price_cents: 750, active: false, created_at: before.created_at });
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
    expect(await (await app.request(path(before.sku))).json()).toEqual(after);
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual([
      ['product.upserted', { sku: before.sku, name: 'New', description: 'Kept', price_cents: 750, currency: 'EUR', active: false }],
    ]);
  });

  it('accepts the product read back, SKU included, minus the read-only fields', async () => {
    const product = await create({ sku: fresh('ROUND') });
    const { sku, name, description, price_cents, currency, active } = product;
    const res = await app.request(path(sku), json('PUT', { sku, name, description, price_cents: price_cents + 1, currency, active }, adminHeaders));
    expect(res.status).toBe(200);
  });

  it.each([
    ['an empty object', {}],
    ['only the SKU', { sku: 'whatever' }],
    ['another SKU', { sku: 'ANOTHER-SKU', name: 'X' }],
    ['a read-only field', { name: 'X', created_at: '2026-01-01T00:00:00.000Z' }],
    ['a negative price', { price_cents: -5 }],
    ['an empty name', { name: '' }],
  ])('answers 422 for %s, changing nothing', async (_label, input) => {
    const product = await create({ sku: fresh('BADPUT') });
    await refusedUnchanged(422, () => app.request(path(product.sku), json('PUT', input, adminHeaders)));
  });

  it('answers 400 for a body that is not JSON, 404 for an unknown SKU, changing nothing', async () => {
    const product = await create({ sku: fresh('PUT400') });
    await refusedUnchanged(400, () => app.request(path(product.sku), { method: 'PUT', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: 'name=x' }));
    await refusedUnchanged(404, () => app.request(path(fresh('NONE')), json('PUT', { name: 'Ghost' }, adminHeaders)));
  });

  it('answers 403 to support and 401 to nobody and to a customer, changing nothing', async () => {
    const product = await create({ sku: fresh('PUTAUTH') });
    await refusedUnchanged(403, () => app.request(path(product.sku), json('PUT', { name: 'Hacked' }, supportHeaders)));
    await refusedUnchanged(401, () => app.request(path(product.sku), json('PUT', { name: 'Hacked' })));
    await refusedUnchanged(401, () => app.request(path(product.sku), json('PUT', { name: 'Hacked' }, CUSTOMER_HEADERS)));
  });
});

describe('DELETE /products/:sku', () => {
  it('answers 204 and publishes product.deleted; the product is gone', async () => {
    const product = await create({ sku: fresh('DEL') });
    const mark = await outboxMark(db);
    const res = await app.request(path(product.sku), { method: 'DELETE', headers: adminHeaders });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await outbox(db, mark)).map((e) => [e.topic, e.payload])).toEqual([['product.deleted', { sku: product.sku }]]);
    await problem(await app.request(path(product.sku)), 404);
    await problem(await app.request(path(product.sku), { method: 'DELETE', headers: adminHeaders }), 404);
  });

  it('frees the SKU for a new product', async () => {
    const sku = fresh('REUSE');
    await create({ sku });
    await app.request(path(sku), { method: 'DELETE', headers: adminHeaders });
    expect((await create({ sku, name: 'Second life' })).name).toBe('Second life');
  });

  it('answers 404 for an unknown SKU, 403 to support, 401 to nobody, changing nothing', async () => {
    await refusedUnchanged(404, () => app.request(path(fresh('NONE')), { method: 'DELETE', headers: adminHeaders }));
    const product = await create({ sku: fresh('DELAUTH') });
    await refusedUnchanged(403, () => app.request(path(product.sku), { method: 'DELETE', headers: supportHeaders }));
    await refusedUnchanged(401, () => app.request(path(product.sku), { method: 'DELETE' }));
  });
});

describe('product routes', () => {
  it('document themselves in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    expect(Object.keys(doc.paths['/products']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/products/{sku}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(doc.paths['/products']!['get']!.parameters!.map((p) => p.name).sort()).toEqual(
      ['cursor', 'in_stock', 'limit', 'max_price_cents', 'min_price_cents', 'q', 'sort'].sort(),
    );
  });

  it('answer 405 with Allow for a wrong method', async () => {
    const res = await app.request('/products', { method: 'PATCH', headers: adminHeaders });
    await problem(res, 405);
    expect(res.headers.get('Allow')).toBe('GET, HEAD, POST');
  });
});
