import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { productContext, type ProblemBody, type Product } from './product-test-kit';

let db: TestDatabase;
let app: ReturnType<typeof productContext>['app'];

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

// Names start with distinct capitals, so byte order and any linguistic collation agree on them.
const CATALOG = [
  { sku: 'L-01', name: 'Apple juice', description: 'Fresh pressed', price: 300, at: T0 + 1000, available: 10 },
  { sku: 'L-02', name: 'Banana bread', description: 'Homemade, 50% whole wheat', price: 450, at: T0 + 2000, available: 0 },
  { sku: 'L-03', name: 'Cherry jam', description: 'Sour cherries', price: 450, at: T0 + 3000, available: null },
  { sku: 'L-04', name: 'Dark chocolate', description: '70% cocoa, with APPLE pieces', price: 250, at: T0 + 4000, available: 3 },
  { sku: 'L-05', name: 'Espresso beans', description: 'Single_origin', price: 1200, at: T0 + 4000, available: null },
  { sku: 'L-06', name: 'Fig preserve', description: 'Dry figs', price: 800, at: T0 + 6000, available: 1 },
  { sku: 'L-07', name: 'Cherry jam', description: 'Second batch', price: 460, at: T0 + 7000, available: 2 },
] as const;

beforeAll(async () => {
  db = await useTestDatabase();
  app = productContext(db).app;
  for (const p of CATALOG) {
    const at = new Date(p.at).toISOString();
    await db.pool.query(
      'INSERT INTO product.products (sku, name, description, price_cents, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
      [p.sku, p.name, p.description, p.price, at],
    );
    if (p.available !== null) await db.pool.query('INSERT INTO product.availability (sku, available, version) VALUES ($1, $2, 1)', [p.sku, p.available]);
  }
});

interface Page {
  items: Product[];
  next_cursor: string | null;
}

async function page(query: string): Promise<Page> {
  const res = await app.request(`/products${query ? `?${query}` : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

/** Every SKU the query lists, following next_cursor with pages of `limit`. */
async function walk(query: string, limit: number): Promise<string[]> {
  const skus: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    const current = await page(params.toString());
    expect(current.items.length).toBeLessThanOrEqual(limit);
    skus.push(...current.items.map((p) => p.sku));
    cursor = current.next_cursor;
    if (!cursor) return skus;
  }
  throw new Error('too many pages');
}

async function skus(query: string): Promise<string[]> {
  const all = await page(query);
  expect(all.next_cursor).toBeNull();
  return all.items.map((p) => p.sku);
}

describe('GET /products', () => {
  it('answers anyone with {items, next_cursor}, each product showing its availability or null', async () => {
    const res = await app.request('/products');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Page;
    expect(body.next_cursor).toBeNull();
    expect(Object.keys(body.items[0]!).sort()).toEqual(
      ['active', 'available', 'created_at', 'currency', 'description', 'name', 'price_cents', 'sku', 'updated_at'].sort(),
    );
    const bySku = new Map(body.items.map((p) => [p.sku, p]));
    expect(bySku.get('L-01')).toMatchObject({ available: 10, price_cents: 300, created_at: new Date(T0 + 1000).toISOString() });
    expect(bySku.get('L-02')!.available).toBe(0);
    expect(bySku.get('L-03')!.available).toBeNull();
  });

  it.each([
    ['', ['L-01', 'L-02', 'L-03', 'L-07', 'L-04', 'L-05', 'L-06']],
    ['sort=name', ['L-01', 'L-02', 'L-03', 'L-07', 'L-04', 'L-05', 'L-06']],
    ['sort=price', ['L-04', 'L-01', 'L-02', 'L-03', 'L-07', 'L-06', 'L-05']],
    ['sort=-price', ['L-05', 'L-06', 'L-07', 'L-03', 'L-02', 'L-01', 'L-04']],
    ['sort=newest', ['L-07', 'L-06', 'L-05', 'L-04', 'L-03', 'L-02', 'L-01']],
  ])('orders %j as expected (name by default; ties broken by SKU), and pages through it without gaps or repeats', async (query, expected) => {
    expect(await skus(query)).toEqual(expected);
    for (const limit of [1, 2, 3]) expect(await walk(query, limit)).toEqual(expected);
  });

  it.each([
    ['q=apple', ['L-01', 'L-04']],
    ['q=CHERR', ['L-03', 'L-07']],
    ['q=%20%20', ['L-01', 'L-02', 'L-03', 'L-07', 'L-04', 'L-05', 'L-06']],
    ['q=50%25', ['L-02']],
    ['q=_', ['L-05']],
    ['q=nothing-like-this', []],
    ['min_price_cents=450', ['L-02', 'L-03', 'L-07', 'L-05', 'L-06']],
    ['max_price_cents=450', ['L-01', 'L-02', 'L-03', 'L-04']],
    ['min_price_cents=450&max_price_cents=460', ['L-02', 'L-03', 'L-07']],
    ['min_price_cents=0&max_price_cents=0', []],
    ['in_stock=true', ['L-01', 'L-07', 'L-04', 'L-06']],
    ['in_stock=false', ['L-02', 'L-03', 'L-05']],
    ['q=e&in_stock=true&sort=-price', ['L-06', 'L-07', 'L-01', 'L-04']],
  ])('filters %j (q: name or description, case-insensitive, taken literally), also page by page', async (query, expected) => {
    expect(await skus(query)).toEqual(expected);
    expect(await walk(query, 2)).toEqual(expected);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=', 'limit'],
    ['sort=cheapest', 'sort'],
    ['sort=', 'sort'],
    ['in_stock=yes', 'in_stock'],
    ['in_stock=', 'in_stock'],
    ['min_price_cents=-1', 'min_price_cents'],
    ['min_price_cents=1.5', 'min_price_cents'],
    ['min_price_cents=', 'min_price_cents'],
    ['max_price_cents=lots', 'max_price_cents'],
    ['max_price_cents=99999999999', 'max_price_cents'],
    ['min_price_cents=500&max_price_cents=400', 'max_price_cents'],
    [`q=${'x'.repeat(201)}`, 'q'],
    ['q=a%00b', 'q'],
    ['cursor=garbage', 'cursor'],
    ['cursor=', 'cursor'],
  ])('answers 422 for %s, naming the parameter', async (query, field) => {
    const res = await app.request(`/products?${query}`);
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    const body = (await res.json()) as ProblemBody;
    expect(body.errors?.map((e) => e.field)).toEqual([field]);
  });

  it('answers 422 for a cursor made for another sort, or forged with a value of the wrong kind', async () => {
    const { next_cursor: byName } = await page('limit=2&sort=name');
    expect(byName).toEqual(expect.any(String));
    for (const sort of ['price', '-price', 'newest']) {
      expect((await app.request(`/products?sort=${sort}&cursor=${byName}`)).status).toBe(422);
    }
    const forged = Buffer.from(JSON.stringify({ o: 'newest', v: 'yesterday', k: 'L-01' })).toString('base64url');
    expect((await app.request(`/products?sort=newest&cursor=${forged}`)).status).toBe(422);
    const nul = Buffer.from(JSON.stringify({ o: 'name', v: 'A\u0000', k: 'L-01' })).toString('base64url');
    expect((await app.request(`/products?cursor=${nul}`)).status).toBe(422);
    const huge = Buffer.from(JSON.stringify({ o: 'price', v: 2 ** 40, k: 'L-01' })).toString('base64url');
    expect((await app.request(`/products?sort=price&cursor=${huge}`)).status).toBe(422);
    const wrongType = Buffer.from(JSON.stringify({ o: 'price', v: '300', k: 'L-01' })).toString('base64url');
    expect((await app.request(`/products?sort=price&cursor=${wrongType}`)).status).toBe(422);
  });

  it('defaults limit to 50 and accepts up to 200', async () => {
    await db.pool.query(
      `INSERT INTO product.products (sku, name, price_cents) SELECT 'BULK-' || lpad(n::text, 3, '0'), 'Bulk ' || n, n FROM generate_series(1, 250) n`,
    );
    const first = await page('');
    expect(first.items).toHaveLength(50);
    expect(first.next_cursor).toEqual(expect.any(String));
    const big = await page('limit=200');
    expect(big.items).toHaveLength(200);
    expect(await walk('sort=price', 200)).toHaveLength(257);
  });
});
