// DESIGN.md's HTTP contract for product, inventory, cart, order and customer, checked against the whole
// system as a client sees it: paths, fields, status codes, headers, identity and tokens, idempotency,
// pagination, and that every refused request is a problem document that wrote nothing.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  answerOf,
  BuyNowAcceptedShape,
  BuyNowRequestShape,
  CartShape,
  CheckoutAcceptedShape,
  CustomerShape,
  expectJsonAnswer,
  expectNothingWritten,
  expectProblem,
  expectShape,
  OrderShape,
  pageOf,
  ProductShape,
  raw,
  StockShape,
  storedState,
} from './contract-kit';
import { ADMIN, SUPPORT } from './system';
import { asCustomer, JANE, JOHN, post, put, stockedProduct, useSystem, type ServiceName } from './system-kit';

const ROBERT = '550e8400-e29b-41d4-a716-446655440002';
const EMILY = '550e8400-e29b-41d4-a716-446655440003';
const MICHAEL = '550e8400-e29b-41d4-a716-446655440004';
/** A well-formed id no customer has. */
const NOBODY = '6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a';
const BAD_TOKEN = { Authorization: 'Bearer not-a-token' };

const system = await useSystem();

type Headers = Record<string, string>;
const get = (service: ServiceName, path: string, headers: Headers = {}) => system.request(service, path, { headers });
const del = (service: ServiceName, path: string, headers: Headers = {}) => system.request(service, path, { method: 'DELETE', headers });
const postEmpty = (service: ServiceName, path: string, headers: Headers = {}) => system.request(service, path, { method: 'POST', headers });

type Cart = z.infer<typeof CartShape>;
type Order = z.infer<typeof OrderShape>;
type Product = z.infer<typeof ProductShape>;

async function readCart(customer: string): Promise<Cart> {
  return expectShape(CartShape, await expectJsonAnswer(get('cart', '/cart', asCustomer(customer)), 200));
}

async function addToCart(customer: string, sku: string, quantity = 1): Promise<Cart> {
  return expectShape(CartShape, await expectJsonAnswer(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(customer))), 200));
}

/** Checks a cart out and waits for the outcome; the cart as it then is. */
async function checkedOut(customer: string): Promise<Cart> {
  expectShape(CheckoutAcceptedShape, await expectJsonAnswer(postEmpty('cart', '/cart/convert-to-order', asCustomer(customer)), 202));
  await system.quiesce();
  return readCart(customer);
}

/** A confirmed order of `customer` for one unit of a fresh product. */
async function placedOrder(customer: string, sku = `CT-ORD-${randomUUID().slice(0, 8)}`): Promise<Order> {
  await stockedProduct(system, sku, 10, 1500);
  await addToCart(customer, sku, 2);
  const cart = await checkedOut(customer);
  expect(cart).toMatchObject({ status: 'ordered', order_id: expect.any(String) });
  return expectShape(OrderShape, await expectJsonAnswer(get('order', `/orders/${cart.order_id}`, asCustomer(customer)), 200));
}

/** Every page of a list, following `next_cursor`. */
async function allPages<T>(service: ServiceName, path: string, item: z.ZodType<T>, headers: Headers = {}): Promise<T[]> {
  const items: T[] = [];
  let url = path;
  for (let pages = 0; pages < 100; pages++) {
    const page = expectShape(pageOf(item), await expectJsonAnswer(get(service, url, headers), 200));
    items.push(...(page.items as T[]));
    if (page.next_cursor === null) return items;
    url = `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(page.next_cursor)}`;
  }
  throw new Error(`${path} did not end`);
}

/** `limit` out of 1–200 or not an integer, and a cursor that is not one of the list's, are 422. */
async function expectBadPagingRefused(service: ServiceName, path: string, headers: Headers = {}): Promise<void> {
  const sep = path.includes('?') ? '&' : '?';
  for (const bad of ['limit=0', 'limit=201', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=', 'cursor=not-a-cursor', 'cursor=']) {
    await expectProblem(get(service, `${path}${sep}${bad}`, headers), 422);
  }
}

describe('every service', () => {
  const services: ServiceName[] = ['product', 'inventory', 'cart', 'order', 'customer'];

  it('answers GET / with status, service and version', async () => {
    for (const service of services) {
      expect(await expectJsonAnswer(get(service, '/'), 200)).toMatchObject({ status: expect.any(String), service, version: expect.any(String) });
    }
  });

  it('answers /healthz and /readyz, and documents every endpoint of DESIGN.md in /openapi.json and /docs', async () => {
    const endpoints: Record<string, Record<string, string[]>> = {
      product: { '/products': ['get', 'post'], '/products/{sku}': ['delete', 'get', 'put'] },
      inventory: { '/inventory': ['get', 'post'], '/inventory/{sku}': ['delete', 'get', 'put'] },
      cart: { '/cart': ['get'], '/cart/items': ['post'], '/cart/items/{product_sku}': ['delete'], '/cart/convert-to-order': ['post'], '/cart/events': ['get'] },
      order: { '/orders': ['get', 'post'], '/orders/{id}': ['delete', 'get', 'put'], '/orders/{id}/cancel': ['post'], '/orders/requests/{request_id}': ['get'] },
      customer: { '/customers': ['get', 'post'], '/customers/{id}': ['delete', 'get', 'put'] },
    };
    for (const service of services) {
      await expectJsonAnswer(get(service, '/healthz'), 200);
      await expectJsonAnswer(get(service, '/readyz'), 200);
      const doc = await expectJsonAnswer<{ paths: Record<string, Record<string, unknown>> }>(get(service, '/openapi.json'), 200);
      for (const [path, methods] of Object.entries(endpoints[service]!)) {
        expect(Object.keys(doc.paths[path] ?? {}).sort(), `${service} ${path}`).toEqual(methods);
      }
      const docs = await get(service, '/docs');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('Content-Type')).toMatch(/^text\/html/);
    }
  });

  it('answers unknown routes 404 with a problem document', async () => {
    for (const service of services) {
      await expectProblem(get(service, '/no-such-route'), 404);
      await expectProblem(system.request(service, '/no/such/route', post({})), 404);
    }
  });

  it('answers wrong methods 405 with a problem document and Allow', async () => {
    const wrong: [ServiceName, string, string][] = [
      ['product', 'PATCH', '/products'],
      ['product', 'PATCH', '/products/MUG-LOGO'],
      ['product', 'POST', '/products/MUG-LOGO'],
      ['inventory', 'DELETE', '/inventory'],
      ['inventory', 'POST', '/inventory/MUG-LOGO'],
      ['cart', 'PUT', '/cart'],
      ['cart', 'GET', '/cart/items'],
      ['cart', 'GET', '/cart/convert-to-order'],
      ['cart', 'POST', '/cart/events'],
      ['order', 'PATCH', '/orders'],
      ['order', 'PATCH', `/orders/${NOBODY}`],
      ['order', 'GET', `/orders/${NOBODY}/cancel`],
      ['order', 'POST', `/orders/requests/${NOBODY}`],
      ['customer', 'DELETE', '/customers'],
      ['customer', 'POST', `/customers/${JOHN}`],
    ];
    for (const [service, method, path] of wrong) {
      const res = await system.request(service, path, { method, headers: { ...ADMIN } });
      expect(res.headers.get('Allow'), `${method} ${path}`).toBeTruthy();
      await expectProblem(res, 405);
    }
  });
});

// ------------------------------------------------------------------------------------------------ product

describe('product: GET /products and GET /products/:sku (public)', () => {
  it('lists the catalog without credentials as {items, next_cursor}, each product with its available', async () => {
    const page = expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', '/products'), 200));
    expect(page.items.find((p) => p.sku === 'LIMITED-SNEAKER')).toMatchObject({ available: 10, price_cents: 14999, currency: 'EUR' });
  });

  it('reads a product without credentials, and answers 404 for an unknown SKU', async () => {
    expectShape(ProductShape, await expectJsonAnswer(get('product', '/products/MUG-LOGO'), 200));
    await expectProblem(get('product', '/products/NO-SUCH-SKU'), 404);
  });

  it('ignores a bad token on public reads', async () => {
    await expectJsonAnswer(get('product', '/products/MUG-LOGO', BAD_TOKEN), 200);
  });
});

describe('product: POST /products', () => {
  it('creates a product: 201 with a Location that reads it back', async () => {
    const res = await system.request('product', '/products', post({ sku: 'CT-P-CREATE', name: 'Contract tee', description: 'A tee.', price_cents: 2500, currency: 'EUR' }, ADMIN));
    const location = res.headers.get('Location');
    const created = expectShape(ProductShape, await expectJsonAnswer(res, 201));
    expect(created).toMatchObject({ sku: 'CT-P-CREATE', name: 'Contract tee', description: 'A tee.', price_cents: 2500, currency: 'EUR', active: true, available: null });
    expect(location).toBe('/products/CT-P-CREATE');
    expect(await expectJsonAnswer(get('product', location!), 200)).toEqual(created);
  });

  it('needs the admin token: none or unknown 401, support 403, writing nothing', async () => {
    const body = { sku: 'CT-P-NOAUTH', name: 'x', price_cents: 1 };
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('product', '/products', post(body)), 401);
      await expectProblem(system.request('product', '/products', post(body, BAD_TOKEN)), 401);
      await expectProblem(system.request('product', '/products', post(body, SUPPORT)), 403);
      await expectProblem(system.request('product', '/products', post(body, { 'X-Customer-Id': JOHN })), 401);
    });
  });

  it('replays the first answer for a repeated Idempotency-Key and refuses the key with another body (422)', async () => {
    const key = { 'Idempotency-Key': `ct-product-${randomUUID()}`, ...ADMIN };
    const body = { sku: 'CT-P-IDEM', name: 'Idempotent', price_cents: 700 };
    const first = await answerOf(system.request('product', '/products', post(body, key)));
    expect(first).toMatchObject({ status: 201, location: '/products/CT-P-IDEM' });
    await expectNothingWritten(system, async () => {
      expect(await answerOf(system.request('product', '/products', post(body, key)))).toEqual(first);
      await expectProblem(system.request('product', '/products', post({ ...body, name: 'Other' }, key)), 422);
    });
    // Without the key the repeat is a second create of the same SKU.
    await expectProblem(system.request('product', '/products', post(body, ADMIN)), 409);
  });

  it('refuses bad bodies (422 with errors[], 409 for a SKU in the catalog, 400 for no JSON) and writes nothing', async () => {
    await expectNothingWritten(system, async () => {
      for (const body of [
        {},
        { sku: 'CT-P-BAD', price_cents: 100 },
        { sku: 'CT-P-BAD', name: 'Bad', price_cents: -1 },
        { sku: 'CT-P-BAD', name: 'Bad', price_cents: 1.5 },
        { sku: 'CT-P-BAD', name: 'Bad', price_cents: '100' },
        { sku: 'CT-P-BAD', name: 'Bad', price_cents: 100, currency: 'euro' },
        { sku: 'CT-P-BAD', name: 'Bad', price_cents: 100, active: 'yes' },
        { sku: 'CT-P-BAD', name: 'Bad', price_cents: 100, colour: 'red' },
        { sku: '', name: 'Bad', price_cents: 100 },
        [],
      ]) {
        await expectProblem(system.request('product', '/products', post(body, ADMIN)), 422, { fieldErrors: true });
      }
      await expectProblem(system.request('product', '/products', post({ sku: 'MUG-LOGO', name: 'Dup', price_cents: 1 }, ADMIN)), 409);
      await expectProblem(system.request('product', '/products', raw('POST', '{"sku": "CT-P-BAD",', ADMIN)), 400);
      await expectProblem(system.request('product', '/products', raw('POST', '', ADMIN)), 400);
      await expectProblem(postEmpty('product', '/products', ADMIN), 400);
    });
  });
});

describe('product: PUT /products/:sku and DELETE /products/:sku', () => {
  it('updates a product: 200 with the resource, which a read then shows', async () => {
    await expectJsonAnswer(system.request('product', '/products', post({ sku: 'CT-P-PUT', name: 'Before', price_cents: 100 }, ADMIN)), 201);
    const updated = expectShape(ProductShape, await expectJsonAnswer(system.request('product', '/products/CT-P-PUT', put({ name: 'After', price_cents: 150 }, ADMIN)), 200));
    expect(updated).toMatchObject({ sku: 'CT-P-PUT', name: 'After', price_cents: 150 });
    expect(await expectJsonAnswer(get('product', '/products/CT-P-PUT'), 200)).toEqual(updated);
  });

  it('refuses bad updates and writes nothing', async () => {
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('product', '/products/CT-P-PUT', put({ name: 'x' })), 401);
      await expectProblem(system.request('product', '/products/CT-P-PUT', put({ name: 'x' }, BAD_TOKEN)), 401);
      await expectProblem(system.request('product', '/products/CT-P-PUT', put({ name: 'x' }, SUPPORT)), 403);
      await expectProblem(system.request('product', '/products/NO-SUCH-SKU', put({ name: 'x' }, ADMIN)), 404);
      await expectProblem(system.request('product', '/products/CT-P-PUT', put({ price_cents: -5 }, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('product', '/products/CT-P-PUT', put({ name: '' }, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('product', '/products/CT-P-PUT', put({ sku: 'OTHER', name: 'x' }, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('product', '/products/CT-P-PUT', put({ colour: 'red' }, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('product', '/products/CT-P-PUT', raw('PUT', '{nope', ADMIN)), 400);
      await expectProblem(system.request('product', '/products/CT-P-PUT', raw('PUT', '', ADMIN)), 400);
    });
  });

  it('deletes a product: 204 without a body, then 404; tokens as for every write', async () => {
    await expectJsonAnswer(system.request('product', '/products', post({ sku: 'CT-P-DEL', name: 'Doomed', price_cents: 100 }, ADMIN)), 201);
    await expectNothingWritten(system, async () => {
      await expectProblem(del('product', '/products/CT-P-DEL'), 401);
      await expectProblem(del('product', '/products/CT-P-DEL', SUPPORT), 403);
      await expectProblem(del('product', '/products/NO-SUCH-SKU', ADMIN), 404);
    });
    const res = await del('product', '/products/CT-P-DEL', ADMIN);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectProblem(get('product', '/products/CT-P-DEL'), 404);
    await expectProblem(del('product', '/products/CT-P-DEL', ADMIN), 404);
  });
});

describe('product: filters, sorts and pages of GET /products', () => {
  const skus = (items: Product[]) => items.map((p) => p.sku);

  it('filters by q, price range and in_stock, and sorts by name, price, -price and newest', async () => {
    // ZEBRA-A: 300, stock 5; ZEBRA-B: 100, stock 0; ZEBRA-C: 200, stock unknown (no inventory record).
    await stockedProduct(system, 'CT-ZEBRA-A', 5, 300);
    await stockedProduct(system, 'CT-ZEBRA-B', 0, 100);
    await expectJsonAnswer(system.request('product', '/products', post({ sku: 'CT-ZEBRA-C', name: 'Product CT-ZEBRA-C', price_cents: 200 }, ADMIN)), 201);
    await system.quiesce();
    const list = async (query: string) => skus(expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', `/products?q=zebra&${query}`), 200)).items);

    expect(await list('')).toEqual(['CT-ZEBRA-A', 'CT-ZEBRA-B', 'CT-ZEBRA-C']);
    expect(await list('sort=name')).toEqual(['CT-ZEBRA-A', 'CT-ZEBRA-B', 'CT-ZEBRA-C']);
    expect(await list('sort=price')).toEqual(['CT-ZEBRA-B', 'CT-ZEBRA-C', 'CT-ZEBRA-A']);
    expect(await list('sort=-price')).toEqual(['CT-ZEBRA-A', 'CT-ZEBRA-C', 'CT-ZEBRA-B']);
    expect(await list('sort=newest')).toEqual(['CT-ZEBRA-C', 'CT-ZEBRA-B', 'CT-ZEBRA-A']);
    expect(await list('min_price_cents=150')).toEqual(['CT-ZEBRA-A', 'CT-ZEBRA-C']);
    expect(await list('max_price_cents=200')).toEqual(['CT-ZEBRA-B', 'CT-ZEBRA-C']);
    expect(await list('min_price_cents=200&max_price_cents=200')).toEqual(['CT-ZEBRA-C']);
    expect(await list('in_stock=true')).toEqual(['CT-ZEBRA-A']);
    expect(await list('in_stock=false')).toEqual(['CT-ZEBRA-B', 'CT-ZEBRA-C']);
    expect(await list('in_stock=false&sort=-price')).toEqual(['CT-ZEBRA-C', 'CT-ZEBRA-B']);
    // q is case-insensitive.
    expect(skus(expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', '/products?q=ZeBrA'), 200)).items)).toHaveLength(3);
    const byPrice = expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', '/products?q=zebra'), 200)).items;
    expect(byPrice.map((p) => [p.sku, p.available])).toEqual([['CT-ZEBRA-A', 5], ['CT-ZEBRA-B', 0], ['CT-ZEBRA-C', null]]);
  });

  it('answers 422 for bad filter and sort values', async () => {
    for (const bad of [
      'sort=cheapest',
      'sort=',
      'sort=PRICE',
      'in_stock=yes',
      'in_stock=1',
      'in_stock=',
      'min_price_cents=-1',
      'min_price_cents=abc',
      'min_price_cents=',
      'max_price_cents=1.5',
      'max_price_cents=-3',
    ]) {
      await expectProblem(get('product', `/products?${bad}`), 422);
    }
  });

  it('pages 50 by default and 1–200 with limit, following next_cursor in every sort without repeats', async () => {
    for (let i = 0; i < 50; i++) {
      await expectJsonAnswer(system.request('product', '/products', post({ sku: `CT-PAGE-${String(i).padStart(2, '0')}`, name: `Paged ${i}`, price_cents: 100 + (i % 7) }, ADMIN)), 201);
    }
    const { rows } = await system.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM product.products');
    const total = rows[0]!.n;
    expect(total).toBeGreaterThan(50);
    const first = expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', '/products'), 200));
    expect(first.items).toHaveLength(50);
    expect(first.next_cursor).not.toBeNull();
    const all = expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', '/products?limit=200'), 200));
    expect(all.items).toHaveLength(Math.min(total, 200));
    expect(expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', '/products?limit=1'), 200)).items).toHaveLength(1);
    for (const sort of ['name', 'price', '-price', 'newest']) {
      const paged = skus(await allPages('product', `/products?limit=7&sort=${sort}`, ProductShape));
      expect(paged).toHaveLength(total);
      expect(new Set(paged).size).toBe(total);
    }
    // A filtered list pages too, and its last page says so.
    const filtered = await allPages('product', '/products?q=Paged&limit=20', ProductShape);
    expect(filtered).toHaveLength(50);
  });

  it('answers 422 for a bad limit or cursor, and for a cursor made for another sort', async () => {
    await expectBadPagingRefused('product', '/products');
    const page = expectShape(pageOf(ProductShape), await expectJsonAnswer(get('product', '/products?limit=1&sort=price'), 200));
    await expectProblem(get('product', `/products?limit=1&sort=name&cursor=${encodeURIComponent(page.next_cursor!)}`), 422);
  });
});

// ------------------------------------------------------------------------------------------------ inventory

describe('inventory', () => {
  it('lists stock for support and admin as {items, next_cursor} of sku, available, reserved, updated_at', async () => {
    for (const token of [SUPPORT, ADMIN]) {
      const page = expectShape(pageOf(StockShape), await expectJsonAnswer(get('inventory', '/inventory', token), 200));
      expect(page.items.find((s) => s.sku === 'MUG-LOGO')).toMatchObject({ available: 250, reserved: 0 });
    }
  });

  it('refuses reads without a valid token (401), including a customer', async () => {
    await expectProblem(get('inventory', '/inventory'), 401);
    await expectProblem(get('inventory', '/inventory', BAD_TOKEN), 401);
    await expectProblem(get('inventory', '/inventory', asCustomer(JOHN)), 401);
    await expectProblem(get('inventory', '/inventory/MUG-LOGO'), 401);
    await expectProblem(get('inventory', '/inventory/MUG-LOGO', asCustomer(JOHN)), 401);
  });

  it('reads one SKU (support), 404 for a SKU without a record', async () => {
    expect(expectShape(StockShape, await expectJsonAnswer(get('inventory', '/inventory/CAP-NAVY', SUPPORT), 200))).toMatchObject({
      sku: 'CAP-NAVY',
      available: 60,
      reserved: 0,
    });
    await expectProblem(get('inventory', '/inventory/NO-SUCH-SKU', SUPPORT), 404);
  });

  it('creates a record (admin), for a SKU not in the catalog yet: 201 with a Location that reads it back', async () => {
    const res = await system.request('inventory', '/inventory', post({ sku: 'CT-INV-NEW', available: 12 }, ADMIN));
    const location = res.headers.get('Location');
    const created = expectShape(StockShape, await expectJsonAnswer(res, 201));
    expect(created).toMatchObject({ sku: 'CT-INV-NEW', available: 12, reserved: 0 });
    expect(location).toBe('/inventory/CT-INV-NEW');
    expect(await expectJsonAnswer(get('inventory', location!, SUPPORT), 200)).toEqual(created);
  });

  it('refuses bad creates (401, 403, 409 for an existing record, 422, 400) and writes nothing', async () => {
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('inventory', '/inventory', post({ sku: 'CT-INV-X', available: 1 })), 401);
      await expectProblem(system.request('inventory', '/inventory', post({ sku: 'CT-INV-X', available: 1 }, BAD_TOKEN)), 401);
      await expectProblem(system.request('inventory', '/inventory', post({ sku: 'CT-INV-X', available: 1 }, SUPPORT)), 403);
      await expectProblem(system.request('inventory', '/inventory', post({ sku: 'CT-INV-NEW', available: 1 }, ADMIN)), 409);
      for (const body of [{}, { sku: 'CT-INV-X' }, { available: 1 }, { sku: 'CT-INV-X', available: -1 }, { sku: 'CT-INV-X', available: 1.5 }, { sku: 'CT-INV-X', available: '3' }, { sku: 'CT-INV-X', available: 1, reserved: 0 }]) {
        await expectProblem(system.request('inventory', '/inventory', post(body, ADMIN)), 422, { fieldErrors: true });
      }
      await expectProblem(system.request('inventory', '/inventory', raw('POST', '{"sku":', ADMIN)), 400);
      await expectProblem(system.request('inventory', '/inventory', raw('POST', '', ADMIN)), 400);
    });
  });

  it('sets available with PUT (200 with the record); a negative level is 422 and writes nothing', async () => {
    const updated = expectShape(StockShape, await expectJsonAnswer(system.request('inventory', '/inventory/CT-INV-NEW', put({ available: 30 }, ADMIN)), 200));
    expect(updated).toMatchObject({ sku: 'CT-INV-NEW', available: 30, reserved: 0 });
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', put({ available: -1 }, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', put({ available: 2.5 }, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', put({}, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', put({ sku: 'OTHER', available: 3 }, ADMIN)), 422, { fieldErrors: true });
      await expectProblem(system.request('inventory', '/inventory/NO-SUCH-SKU', put({ available: 3 }, ADMIN)), 404);
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', put({ available: 3 })), 401);
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', put({ available: 3 }, SUPPORT)), 403);
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', raw('PUT', 'available=3', ADMIN)), 400);
      await expectProblem(system.request('inventory', '/inventory/CT-INV-NEW', raw('PUT', '', ADMIN)), 400);
    });
    expect(await expectJsonAnswer(get('inventory', '/inventory/CT-INV-NEW', SUPPORT), 200)).toMatchObject({ available: 30 });
  });

  it('refuses DELETE with 409 while a reservation is open, then deletes (204) once it is not', async () => {
    await expectJsonAnswer(system.request('inventory', '/inventory', post({ sku: 'CT-INV-HELD', available: 5 }, ADMIN)), 201);
    // A reservation as inventory's reserve leaves it until the order is created: held, not committed.
    const reservationId = randomUUID();
    await system.db.pool.query(
      `INSERT INTO inventory.reservations (reservation_id, request_id, source, cart_id, customer_id, status) VALUES ($1, $2, 'buy-now', NULL, $3, 'reserved')`,
      [reservationId, randomUUID(), JOHN],
    );
    await system.db.pool.query(`INSERT INTO inventory.reservation_lines (reservation_id, sku, quantity, unit_price_cents) VALUES ($1, 'CT-INV-HELD', 2, 100)`, [
      reservationId,
    ]);
    await system.db.pool.query(`UPDATE inventory.stock SET available = available - 2, reserved = reserved + 2 WHERE sku = 'CT-INV-HELD'`);
    await expectNothingWritten(system, async () => {
      await expectProblem(del('inventory', '/inventory/CT-INV-HELD', ADMIN), 409);
      await expectProblem(del('inventory', '/inventory/CT-INV-HELD'), 401);
      await expectProblem(del('inventory', '/inventory/CT-INV-HELD', SUPPORT), 403);
      await expectProblem(del('inventory', '/inventory/NO-SUCH-SKU', ADMIN), 404);
    });
    expect(await expectJsonAnswer(get('inventory', '/inventory/CT-INV-HELD', SUPPORT), 200)).toMatchObject({ available: 3, reserved: 2 });
    await system.db.pool.query(`UPDATE inventory.reservations SET status = 'released' WHERE reservation_id = $1`, [reservationId]);
    const res = await del('inventory', '/inventory/CT-INV-HELD', ADMIN);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectProblem(get('inventory', '/inventory/CT-INV-HELD', SUPPORT), 404);
  });

  it('pages 50 by default and follows next_cursor; bad limit or cursor is 422', async () => {
    for (let i = 0; i < 50; i++) await expectJsonAnswer(system.request('inventory', '/inventory', post({ sku: `CT-INVPAGE-${i}`, available: i }, ADMIN)), 201);
    const { rows } = await system.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM inventory.stock');
    const first = expectShape(pageOf(StockShape), await expectJsonAnswer(get('inventory', '/inventory', SUPPORT), 200));
    expect(first.items).toHaveLength(50);
    expect(first.next_cursor).not.toBeNull();
    const paged = await allPages('inventory', '/inventory?limit=9', StockShape, SUPPORT);
    expect(new Set(paged.map((s) => s.sku)).size).toBe(rows[0]!.n);
    expect(expectShape(pageOf(StockShape), await expectJsonAnswer(get('inventory', '/inventory?limit=200', SUPPORT), 200)).items).toHaveLength(Math.min(rows[0]!.n, 200));
    await expectBadPagingRefused('inventory', '/inventory', SUPPORT);
  });
});

// ------------------------------------------------------------------------------------------------ cart

describe('cart: identity', () => {
  const endpoints: [string, string, string | undefined][] = [
    ['GET', '/cart', undefined],
    ['POST', '/cart/items', JSON.stringify({ product_sku: 'MUG-LOGO', quantity: 1 })],
    ['DELETE', '/cart/items/MUG-LOGO', undefined],
    ['POST', '/cart/convert-to-order', undefined],
    ['GET', '/cart/events', undefined],
  ];

  it('answers 401 without X-Customer-Id or for an unknown customer, 400 for one that is not a UUID, writing nothing', async () => {
    await expectNothingWritten(system, async () => {
      for (const [method, path, body] of endpoints) {
        const init = (headers: Headers): RequestInit => ({ method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body ? { body } : {}) });
        await expectProblem(system.request('cart', path, init({})), 401);
        await expectProblem(system.request('cart', path, init(asCustomer(NOBODY))), 401);
        await expectProblem(system.request('cart', path, init(asCustomer('not-a-uuid'))), 400);
        await expectProblem(system.request('cart', path, init(asCustomer(`${JOHN}x`))), 400);
        // A staff token is not a customer identity.
        await expectProblem(system.request('cart', path, init(ADMIN)), 401);
      }
    });
  });

  it('checks identity before the body', async () => {
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('cart', '/cart/items', raw('POST', '{not json')), 401);
      await expectProblem(system.request('cart', '/cart/items', raw('POST', '{not json', asCustomer(NOBODY))), 401);
      await expectProblem(system.request('cart', '/cart/items', raw('POST', '', asCustomer(NOBODY))), 401);
      await expectProblem(system.request('cart', '/cart/items', post({ quantity: -1 }, asCustomer(NOBODY))), 401);
      await expectProblem(system.request('cart', '/cart/items', raw('POST', '{not json', asCustomer('nope'))), 400);
    });
  });
});

describe('cart: GET /cart, POST /cart/items, DELETE /cart/items/:product_sku', () => {
  it('(the check that nothing was written sees a write)', async () => {
    await system.quiesce();
    const before = await storedState(system);
    await addToCart(JOHN, 'MUG-LOGO');
    await expectJsonAnswer(del('cart', '/cart/items/MUG-LOGO', asCustomer(JOHN)), 200);
    expect(await storedState(system)).not.toEqual(before);
  });

  it('answers a customer without a cart an empty open cart', async () => {
    const cart = await readCart(ROBERT);
    expect(cart).toEqual({
      cart_id: expect.any(String),
      customer_id: ROBERT,
      status: 'open',
      cart_locked: false,
      items: [],
      total_cents: 0,
      currency: expect.any(String),
      order_id: null,
      rejection: null,
    });
    // Reading writes nothing, and reads the same cart again.
    await expectNothingWritten(system, async () => {
      expect((await readCart(ROBERT)).cart_id).toBe(cart.cart_id);
    });
  });

  it('adds units (200 with the cart), to the existing line for a SKU already in the cart', async () => {
    await stockedProduct(system, 'CT-CART-A', 50, 1250);
    await stockedProduct(system, 'CT-CART-B', 50, 400);
    const one = await addToCart(MICHAEL, 'CT-CART-A', 2);
    expect(one).toMatchObject({
      customer_id: MICHAEL,
      status: 'open',
      cart_locked: false,
      items: [{ product_sku: 'CT-CART-A', name: 'Product CT-CART-A', quantity: 2, unit_price_cents: 1250 }],
      total_cents: 2500,
      currency: 'EUR',
      order_id: null,
      rejection: null,
    });
    await addToCart(MICHAEL, 'CT-CART-B', 1);
    const three = await addToCart(MICHAEL, 'CT-CART-A', 3);
    expect(three.cart_id).toBe(one.cart_id);
    expect(three.items).toEqual(
      expect.arrayContaining([
        { product_sku: 'CT-CART-A', name: 'Product CT-CART-A', quantity: 5, unit_price_cents: 1250 },
        { product_sku: 'CT-CART-B', name: 'Product CT-CART-B', quantity: 1, unit_price_cents: 400 },
      ]),
    );
    expect(three.items).toHaveLength(2);
    expect(three.total_cents).toBe(5 * 1250 + 400);
    expect(await readCart(MICHAEL)).toEqual(three);
  });

  it('refuses bad lines (422 with errors[], an unknown product_sku included; 400 for no JSON) and writes nothing', async () => {
    await expectNothingWritten(system, async () => {
      for (const body of [
        { product_sku: 'NO-SUCH-SKU', quantity: 1 },
        { product_sku: 'CT-CART-A', quantity: 0 },
        { product_sku: 'CT-CART-A', quantity: -2 },
        { product_sku: 'CT-CART-A', quantity: 1.5 },
        { product_sku: 'CT-CART-A', quantity: '1' },
        { product_sku: 'CT-CART-A' },
        { quantity: 1 },
        { product_sku: 'CT-CART-A', quantity: 1, price_cents: 1 },
        {},
        [],
      ]) {
        await expectProblem(system.request('cart', '/cart/items', post(body, asCustomer(MICHAEL))), 422, { fieldErrors: true });
      }
      await expectProblem(system.request('cart', '/cart/items', raw('POST', '{"product_sku": "CT-CART-A", ', asCustomer(MICHAEL))), 400);
      await expectProblem(system.request('cart', '/cart/items', raw('POST', '', asCustomer(MICHAEL))), 400);
      await expectProblem(postEmpty('cart', '/cart/items', asCustomer(MICHAEL)), 400);
    });
  });

  it('removes a line (200 with the cart); a line the cart does not have is 404 and writes nothing', async () => {
    const cart = await expectJsonAnswer(del('cart', '/cart/items/CT-CART-B', asCustomer(MICHAEL)), 200);
    expect(expectShape(CartShape, cart).items.map((i) => i.product_sku)).toEqual(['CT-CART-A']);
    expect(expectShape(CartShape, cart).total_cents).toBe(5 * 1250);
    await expectNothingWritten(system, async () => {
      await expectProblem(del('cart', '/cart/items/CT-CART-B', asCustomer(MICHAEL)), 404);
      await expectProblem(del('cart', '/cart/items/NO-SUCH-SKU', asCustomer(MICHAEL)), 404);
      await expectProblem(del('cart', '/cart/items/CT-CART-A', asCustomer(ROBERT)), 404);
    });
  });

  it("never shows a customer another customer's cart", async () => {
    const jane = await readCart(JANE);
    const michael = await readCart(MICHAEL);
    expect(jane.cart_id).not.toBe(michael.cart_id);
    expect(jane.items.some((i) => i.product_sku === 'CT-CART-A')).toBe(false);
  });
});

describe('cart: POST /cart/convert-to-order', () => {
  it('answers 422 for an empty cart (with or without a cart row), 400 for a body that is not JSON, writing nothing', async () => {
    await expectNothingWritten(system, async () => {
      await expectProblem(postEmpty('cart', '/cart/convert-to-order', asCustomer(EMILY)), 422);
      await expectProblem(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(EMILY))), 422);
    });
    await stockedProduct(system, 'CT-CART-EMPTY', 5);
    await addToCart(EMILY, 'CT-CART-EMPTY');
    // Checkout takes no body, but one that is sent must be JSON.
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('cart', '/cart/convert-to-order', raw('POST', '{garbled', asCustomer(EMILY))), 400);
    });
    await expectJsonAnswer(del('cart', '/cart/items/CT-CART-EMPTY', asCustomer(EMILY)), 200);
    await expectNothingWritten(system, async () => {
      await expectProblem(postEmpty('cart', '/cart/convert-to-order', asCustomer(EMILY)), 422);
    });
  });

  it('answers 202 {cart_id, request_id, status: "pending"} with Location: /cart; the cart ends ordered with its order', async () => {
    const cart = await readCart(MICHAEL);
    const res = await postEmpty('cart', '/cart/convert-to-order', asCustomer(MICHAEL));
    expect(res.headers.get('Location')).toBe('/cart');
    const accepted = expectShape(CheckoutAcceptedShape, await expectJsonAnswer(res, 202));
    expect(accepted).toEqual({ cart_id: cart.cart_id, request_id: expect.any(String), status: 'pending' });
    const locked = await readCart(MICHAEL);
    expect(locked).toMatchObject({ cart_id: cart.cart_id, cart_locked: true });
    expect(['pending', 'ordered']).toContain(locked.status);
    await system.quiesce();
    const ordered = await readCart(MICHAEL);
    expect(ordered).toMatchObject({ cart_id: cart.cart_id, status: 'ordered', cart_locked: true, order_id: expect.any(String), rejection: null });
    // An ordered cart refuses edits and another checkout; the next add starts a new cart.
    await expectNothingWritten(system, async () => {
      await expectProblem(postEmpty('cart', '/cart/convert-to-order', asCustomer(MICHAEL)), 409);
      await expectProblem(del('cart', '/cart/items/CT-CART-A', asCustomer(MICHAEL)), 409);
    });
    const next = await addToCart(MICHAEL, 'CT-CART-B');
    expect(next).toMatchObject({ status: 'open', cart_locked: false, order_id: null, items: [expect.objectContaining({ product_sku: 'CT-CART-B', quantity: 1 })] });
    expect(next.cart_id).not.toBe(cart.cart_id);
  });

  it('replays the first answer for a repeated Idempotency-Key, and refuses the key with another body (422)', async () => {
    await stockedProduct(system, 'CT-CART-IDEM', 5);
    await addToCart(JANE, 'CT-CART-IDEM');
    const key = { 'Idempotency-Key': `ct-checkout-${randomUUID()}`, ...asCustomer(JANE) };
    const first = await answerOf(system.request('cart', '/cart/convert-to-order', post({}, key)));
    expect(first).toMatchObject({ status: 202, location: '/cart', body: { status: 'pending' } });
    const { cart_id: cartId } = first.body as { cart_id: string };
    expect(await answerOf(system.request('cart', '/cart/convert-to-order', post({}, key)))).toEqual(first);
    // Pending (or, should the choreography already be done, ordered): the cart is locked either way.
    await expectProblem(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JANE))), 409);
    await expectProblem(del('cart', '/cart/items/CT-CART-IDEM', asCustomer(JANE)), 409);
    await system.quiesce();
    await expectNothingWritten(system, async () => {
      expect(await answerOf(system.request('cart', '/cart/convert-to-order', post({}, key)))).toEqual(first);
      await expectProblem(system.request('cart', '/cart/convert-to-order', post({ note: 'other' }, key)), 422);
    });
    const { rows } = await system.db.pool.query(`SELECT 1 FROM cart.outbox WHERE topic = 'order-requested' AND payload->>'cart_id' = $1`, [cartId]);
    expect(rows).toHaveLength(1);
  });

  it('fills rejection {reason, details[{product_sku, requested, available}]} when stock is short; an edit reopens the cart', async () => {
    await stockedProduct(system, 'CT-CART-SCARCE', 1);
    await addToCart(ROBERT, 'CT-CART-SCARCE', 3);
    const rejected = await checkedOut(ROBERT);
    expect(rejected).toMatchObject({
      status: 'stock-unavailable',
      cart_locked: false,
      order_id: null,
      rejection: { reason: 'insufficient_stock', details: [{ product_sku: 'CT-CART-SCARCE', requested: 3, available: 1 }] },
    });
    const edited = await expectJsonAnswer(del('cart', '/cart/items/CT-CART-SCARCE', asCustomer(ROBERT)), 200);
    expect(expectShape(CartShape, edited)).toMatchObject({ status: 'open', cart_locked: false, rejection: null, items: [] });
  });

  it('rejects a product with no stock record as unknown_product, available 0', async () => {
    await expectJsonAnswer(system.request('product', '/products', post({ sku: 'CT-CART-NOSTOCK', name: 'No stock', price_cents: 100 }, ADMIN)), 201);
    await system.quiesce();
    await addToCart(ROBERT, 'CT-CART-NOSTOCK', 2);
    expect(await checkedOut(ROBERT)).toMatchObject({
      status: 'stock-unavailable',
      rejection: { reason: 'unknown_product', details: [{ product_sku: 'CT-CART-NOSTOCK', requested: 2, available: 0 }] },
    });
    await expectJsonAnswer(del('cart', '/cart/items/CT-CART-NOSTOCK', asCustomer(ROBERT)), 200);
  });
});

describe('cart: GET /cart/events', () => {
  it('streams the cart as server-sent events, the cart first', async () => {
    const res = await get('cart', '/cart/events', asCustomer(JOHN));
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!/\n\n/.test(text.slice(text.indexOf('data:')))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toMatch(/^event: cart$/m);
    const data = /^data: (.*)$/m.exec(text)?.[1];
    expect(expectShape(CartShape, JSON.parse(data!))).toMatchObject({ customer_id: JOHN });
  });
});

// ------------------------------------------------------------------------------------------------ order

describe('order: identity and tokens', () => {
  it('answers 401 without identity or for an unknown customer, 400 for a customer id that is not a UUID', async () => {
    const paths: [string, string, string | undefined][] = [
      ['GET', '/orders', undefined],
      ['POST', '/orders', JSON.stringify({ items: [{ product_sku: 'MUG-LOGO', quantity: 1 }] })],
      ['GET', `/orders/${NOBODY}`, undefined],
      ['PUT', `/orders/${NOBODY}`, JSON.stringify({ note: 'x' })],
      ['POST', `/orders/${NOBODY}/cancel`, undefined],
      ['DELETE', `/orders/${NOBODY}`, undefined],
      ['GET', `/orders/requests/${NOBODY}`, undefined],
    ];
    await expectNothingWritten(system, async () => {
      for (const [method, path, body] of paths) {
        const init = (headers: Headers): RequestInit => ({ method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body ? { body } : {}) });
        await expectProblem(system.request('order', path, init({})), 401);
        await expectProblem(system.request('order', path, init(asCustomer(NOBODY))), 401);
        await expectProblem(system.request('order', path, init(asCustomer('not-a-uuid'))), 400);
        await expectProblem(system.request('order', path, init(BAD_TOKEN)), 401);
      }
    });
  });

  it('checks identity before the body', async () => {
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('order', '/orders', raw('POST', '{oops')), 401);
      await expectProblem(system.request('order', '/orders', raw('POST', '', asCustomer(NOBODY))), 401);
      await expectProblem(system.request('order', '/orders', post({ items: [] }, asCustomer(NOBODY))), 401);
      await expectProblem(system.request('order', `/orders/${NOBODY}`, raw('PUT', '{oops', asCustomer(NOBODY))), 401);
    });
  });
});

describe('order: an order placed through the cart', () => {
  let order: Order;

  it('has order_id, customer_id, cart_id, status, items, total_cents, currency, shipping_address, note, created_at', async () => {
    order = await placedOrder(JOHN, 'CT-ORD-MAIN');
    expect(order).toMatchObject({
      customer_id: JOHN,
      cart_id: expect.any(String),
      status: 'confirmed',
      items: [{ product_sku: 'CT-ORD-MAIN', name: 'Product CT-ORD-MAIN', quantity: 2, unit_price_cents: 1500 }],
      total_cents: 3000,
      currency: 'EUR',
      shipping_address: null,
      note: null,
    });
  });

  it('is read by its customer, support and admin; another customer gets 404; a malformed id is 404', async () => {
    for (const headers of [asCustomer(JOHN), SUPPORT, ADMIN]) {
      expect(await expectJsonAnswer(get('order', `/orders/${order.order_id}`, headers), 200)).toEqual(order);
    }
    await expectProblem(get('order', `/orders/${order.order_id}`, asCustomer(JANE)), 404);
    await expectProblem(get('order', `/orders/${NOBODY}`, asCustomer(JOHN)), 404);
    await expectProblem(get('order', '/orders/not-an-id', asCustomer(JOHN)), 404);
  });

  it("lists a customer's own orders; support lists all, filtered by customer_id and status", async () => {
    const johns = await allPages('order', '/orders', OrderShape, asCustomer(JOHN));
    expect(johns.map((o) => o.order_id)).toContain(order.order_id);
    expect(johns.every((o) => o.customer_id === JOHN)).toBe(true);
    const janes = await allPages('order', '/orders', OrderShape, asCustomer(JANE));
    expect(janes.map((o) => o.order_id)).not.toContain(order.order_id);
    expect(janes.every((o) => o.customer_id === JANE)).toBe(true);
    // Asking for another customer's orders as a customer shows none of them.
    expect((await allPages('order', `/orders?customer_id=${JOHN}`, OrderShape, asCustomer(JANE))).map((o) => o.order_id)).not.toContain(order.order_id);

    const everyone = await allPages('order', '/orders', OrderShape, SUPPORT);
    expect(new Set(everyone.map((o) => o.customer_id)).size).toBeGreaterThan(1);
    const filtered = await allPages('order', `/orders?customer_id=${JOHN}`, OrderShape, SUPPORT);
    expect(filtered.map((o) => o.order_id).sort()).toEqual(johns.map((o) => o.order_id).sort());
    expect((await allPages('order', '/orders?status=confirmed', OrderShape, ADMIN)).every((o) => o.status === 'confirmed')).toBe(true);
    expect(await allPages('order', `/orders?customer_id=${NOBODY}`, OrderShape, SUPPORT)).toEqual([]);
  });

  it('pages with limit and cursor; bad limit, cursor or filter values are 422', async () => {
    const all = await allPages('order', '/orders', OrderShape, SUPPORT);
    const paged = await allPages('order', '/orders?limit=1', OrderShape, SUPPORT);
    expect(paged.map((o) => o.order_id)).toEqual(all.map((o) => o.order_id));
    await expectBadPagingRefused('order', '/orders', SUPPORT);
    await expectBadPagingRefused('order', '/orders', asCustomer(JOHN));
    await expectProblem(get('order', '/orders?status=shipped', SUPPORT), 422);
    await expectProblem(get('order', '/orders?customer_id=john', SUPPORT), 422);
  });

  it('sets the shipping address and note with PUT (200 with the order): its customer or admin, not support', async () => {
    const address = { name: 'John Smith', line1: '1 Main Street', line2: 'Flat 2', city: 'Springfield', postal_code: '12345', country: 'US' };
    const updated = expectShape(OrderShape, await expectJsonAnswer(system.request('order', `/orders/${order.order_id}`, put({ shipping_address: address, note: 'Leave at the door' }, asCustomer(JOHN))), 200));
    expect(updated).toMatchObject({ order_id: order.order_id, status: 'confirmed', shipping_address: address, note: 'Leave at the door' });
    expect(await expectJsonAnswer(get('order', `/orders/${order.order_id}`, asCustomer(JOHN)), 200)).toEqual(updated);
    const byAdmin = await expectJsonAnswer(system.request('order', `/orders/${order.order_id}`, put({ shipping_address: { ...address, line2: null }, note: 'Ring twice' }, ADMIN)), 200);
    expect(byAdmin).toMatchObject({ shipping_address: { ...address, line2: null }, note: 'Ring twice' });
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('order', `/orders/${order.order_id}`, put({ note: 'x' }, SUPPORT)), 403);
      await expectProblem(system.request('order', `/orders/${order.order_id}`, put({ note: 'x' }, asCustomer(JANE))), 404);
      await expectProblem(system.request('order', `/orders/${NOBODY}`, put({ note: 'x' }, asCustomer(JOHN))), 404);
      for (const body of [
        { shipping_address: { ...address, city: undefined } },
        { shipping_address: { ...address, country: '' } },
        { shipping_address: { ...address, name: '' } },
        { shipping_address: 'Springfield' },
        { note: 42 },
        { status: 'cancelled' },
        [],
      ]) {
        await expectProblem(system.request('order', `/orders/${order.order_id}`, put(body, asCustomer(JOHN))), 422, { fieldErrors: true });
      }
      await expectProblem(system.request('order', `/orders/${order.order_id}`, raw('PUT', '{"note":', asCustomer(JOHN))), 400);
      await expectProblem(system.request('order', `/orders/${order.order_id}`, raw('PUT', '', asCustomer(JOHN))), 400);
    });
  });

  it('cancels with POST /orders/:id/cancel: 200 with the cancelled order; repeating answers the same; stock returns once', async () => {
    await expectNothingWritten(system, async () => {
      await expectProblem(postEmpty('order', `/orders/${order.order_id}/cancel`, asCustomer(JANE)), 404);
      await expectProblem(postEmpty('order', `/orders/${order.order_id}/cancel`, SUPPORT), 403);
      await expectProblem(postEmpty('order', `/orders/${NOBODY}/cancel`, asCustomer(JOHN)), 404);
      // Cancelling takes no body, but one that is sent must be JSON.
      await expectProblem(system.request('order', `/orders/${order.order_id}/cancel`, raw('POST', 'reason=late', asCustomer(JOHN))), 400);
    });
    const cancelled = expectShape(OrderShape, await expectJsonAnswer(postEmpty('order', `/orders/${order.order_id}/cancel`, asCustomer(JOHN)), 200));
    expect(cancelled).toMatchObject({ order_id: order.order_id, status: 'cancelled', items: order.items, total_cents: order.total_cents });
    await system.quiesce();
    await expectNothingWritten(system, async () => {
      expect(await expectJsonAnswer(postEmpty('order', `/orders/${order.order_id}/cancel`, asCustomer(JOHN)), 200)).toEqual(cancelled);
      expect(await expectJsonAnswer(postEmpty('order', `/orders/${order.order_id}/cancel`, ADMIN), 200)).toEqual(cancelled);
      // A cancelled order can no longer be changed.
      await expectProblem(system.request('order', `/orders/${order.order_id}`, put({ note: 'too late' }, asCustomer(JOHN))), 409);
    });
    expect(await expectJsonAnswer(get('inventory', '/inventory/CT-ORD-MAIN', SUPPORT), 200)).toMatchObject({ available: 10, reserved: 0 });
  });

  it('cancels with DELETE /orders/:id: 204 without a body, repeated 204; the order reads cancelled', async () => {
    const other = await placedOrder(JOHN);
    await expectNothingWritten(system, async () => {
      await expectProblem(del('order', `/orders/${other.order_id}`, asCustomer(JANE)), 404);
      await expectProblem(del('order', `/orders/${other.order_id}`, SUPPORT), 403);
    });
    for (let i = 0; i < 2; i++) {
      const res = await del('order', `/orders/${other.order_id}`, asCustomer(JOHN));
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
    }
    expect(await expectJsonAnswer(get('order', `/orders/${other.order_id}`, asCustomer(JOHN)), 200)).toMatchObject({ status: 'cancelled' });
    const byAdmin = await placedOrder(JOHN);
    expect((await del('order', `/orders/${byAdmin.order_id}`, ADMIN)).status).toBe(204);
  });
});

describe('order: POST /orders (buy now) and GET /orders/requests/:request_id', () => {
  const line = (sku: string, quantity = 1) => ({ items: [{ product_sku: sku, quantity }] });

  it('answers 202 {request_id, status: "pending"} with a Location that follows the request to its order', async () => {
    await stockedProduct(system, 'CT-BUY', 10, 900);
    const res = await system.request('order', '/orders', post(line('CT-BUY', 2), asCustomer(JANE)));
    const location = res.headers.get('Location');
    const accepted = expectShape(BuyNowAcceptedShape, await expectJsonAnswer(res, 202));
    expect(location).toBe(`/orders/requests/${accepted.request_id}`);
    const pending = expectShape(BuyNowRequestShape, await expectJsonAnswer(get('order', location!, asCustomer(JANE)), 200));
    expect(pending.request_id).toBe(accepted.request_id);
    await system.quiesce();
    const confirmed = expectShape(BuyNowRequestShape, await expectJsonAnswer(get('order', location!, asCustomer(JANE)), 200));
    expect(confirmed).toMatchObject({ request_id: accepted.request_id, status: 'confirmed', order_id: expect.any(String), rejection: null });
    const order = expectShape(OrderShape, await expectJsonAnswer(get('order', `/orders/${confirmed.order_id}`, asCustomer(JANE)), 200));
    expect(order).toMatchObject({ customer_id: JANE, cart_id: null, status: 'confirmed', total_cents: 1800, items: [expect.objectContaining({ product_sku: 'CT-BUY', quantity: 2, unit_price_cents: 900 })] });
    // The requesting customer and support read the request; another customer gets 404.
    expect(await expectJsonAnswer(get('order', location!, SUPPORT), 200)).toEqual(confirmed);
    await expectProblem(get('order', location!, asCustomer(JOHN)), 404);
    await expectProblem(get('order', `/orders/requests/${NOBODY}`, asCustomer(JANE)), 404);
    await expectProblem(get('order', '/orders/requests/nope', asCustomer(JANE)), 404);
  });

  it('replays the first answer for a repeated Idempotency-Key and refuses the key with another body (422)', async () => {
    const key = { 'Idempotency-Key': `ct-buy-${randomUUID()}`, ...asCustomer(JANE) };
    const first = await answerOf(system.request('order', '/orders', post(line('CT-BUY'), key)));
    expect(first).toMatchObject({ status: 202, location: expect.stringMatching(/^\/orders\/requests\//) });
    await system.quiesce();
    await expectNothingWritten(system, async () => {
      expect(await answerOf(system.request('order', '/orders', post(line('CT-BUY'), key)))).toEqual(first);
      await expectProblem(system.request('order', '/orders', post(line('CT-BUY', 2), key)), 422);
    });
  });

  it('refuses bad bodies (422 with errors[], unknown product_sku included; 400 for no JSON) and writes nothing', async () => {
    await expectNothingWritten(system, async () => {
      for (const body of [
        {},
        { items: [] },
        { items: 'CT-BUY' },
        line('NO-SUCH-SKU'),
        line('CT-BUY', 0),
        line('CT-BUY', -1),
        line('CT-BUY', 1.5),
        { items: [{ product_sku: 'CT-BUY' }] },
        { items: [{ quantity: 1 }] },
        { ...line('CT-BUY'), cart_id: NOBODY },
        [],
      ]) {
        await expectProblem(system.request('order', '/orders', post(body, asCustomer(JANE))), 422, { fieldErrors: true });
      }
      await expectProblem(system.request('order', '/orders', raw('POST', '{"items": [', asCustomer(JANE))), 400);
      await expectProblem(system.request('order', '/orders', raw('POST', '', asCustomer(JANE))), 400);
      await expectProblem(postEmpty('order', '/orders', asCustomer(JANE)), 400);
      // Buy now is a customer's: a staff token is no customer identity.
      await expectProblem(system.request('order', '/orders', post(line('CT-BUY'), ADMIN)), 401);
    });
  });

  it('ends rejected with the rejection shaped as the cart’s: insufficient_stock and unknown_product', async () => {
    await stockedProduct(system, 'CT-BUY-SCARCE', 1, 100);
    await expectJsonAnswer(system.request('product', '/products', post({ sku: 'CT-BUY-NOSTOCK', name: 'No stock', price_cents: 100 }, ADMIN)), 201);
    await system.quiesce();
    const short = await expectJsonAnswer<{ request_id: string }>(system.request('order', '/orders', post(line('CT-BUY-SCARCE', 4), asCustomer(JANE))), 202);
    const unknown = await expectJsonAnswer<{ request_id: string }>(system.request('order', '/orders', post(line('CT-BUY-NOSTOCK', 2), asCustomer(JANE))), 202);
    await system.quiesce();
    expect(expectShape(BuyNowRequestShape, await expectJsonAnswer(get('order', `/orders/requests/${short.request_id}`, asCustomer(JANE)), 200))).toMatchObject({
      status: 'rejected',
      order_id: null,
      rejection: { reason: 'insufficient_stock', details: [{ product_sku: 'CT-BUY-SCARCE', requested: 4, available: 1 }] },
    });
    expect(expectShape(BuyNowRequestShape, await expectJsonAnswer(get('order', `/orders/requests/${unknown.request_id}`, asCustomer(JANE)), 200))).toMatchObject({
      status: 'rejected',
      order_id: null,
      rejection: { reason: 'unknown_product', details: [{ product_sku: 'CT-BUY-NOSTOCK', requested: 2, available: 0 }] },
    });
  });
});

// ------------------------------------------------------------------------------------------------ customer

describe('customer', () => {
  let created: z.infer<typeof CustomerShape>;

  it('lists customers for support and admin as {items, next_cursor}, the five seeded among them', async () => {
    const all = await allPages('customer', '/customers', CustomerShape, SUPPORT);
    expect(all.map((c) => c.customer_id)).toEqual(expect.arrayContaining([JOHN, JANE, ROBERT, EMILY, MICHAEL]));
    expect(all.find((c) => c.customer_id === JOHN)).toMatchObject({ name: 'John Smith' });
    const paged = await allPages('customer', '/customers?limit=2', CustomerShape, ADMIN);
    expect(paged.map((c) => c.customer_id)).toEqual(all.map((c) => c.customer_id));
    await expectBadPagingRefused('customer', '/customers', SUPPORT);
  });

  it('refuses the list without a valid token (401), to customers too', async () => {
    await expectProblem(get('customer', '/customers'), 401);
    await expectProblem(get('customer', '/customers', BAD_TOKEN), 401);
    await expectProblem(get('customer', '/customers', asCustomer(JOHN)), 401);
  });

  it('creates a customer (admin): 201 with a Location that reads it back', async () => {
    const res = await system.request('customer', '/customers', post({ name: 'Contract Carol', email: 'carol@contract.example' }, ADMIN));
    const location = res.headers.get('Location');
    created = expectShape(CustomerShape, await expectJsonAnswer(res, 201));
    expect(created).toMatchObject({ name: 'Contract Carol', email: 'carol@contract.example' });
    expect(location).toBe(`/customers/${created.customer_id}`);
    expect(await expectJsonAnswer(get('customer', location!, ADMIN), 200)).toEqual(created);
  });

  it('replays the first answer for a repeated Idempotency-Key and refuses the key with another body (422)', async () => {
    const key = { 'Idempotency-Key': `ct-customer-${randomUUID()}`, ...ADMIN };
    const body = { name: 'Idem Ivan', email: 'ivan@contract.example' };
    const first = await answerOf(system.request('customer', '/customers', post(body, key)));
    expect(first).toMatchObject({ status: 201, location: expect.stringMatching(/^\/customers\//) });
    await expectNothingWritten(system, async () => {
      expect(await answerOf(system.request('customer', '/customers', post(body, key)))).toEqual(first);
      await expectProblem(system.request('customer', '/customers', post({ ...body, name: 'Other Ivan' }, key)), 422);
    });
  });

  it('refuses bad creates (401, 403, 409 for an e-mail in use, 422 with errors[], 400) and writes nothing', async () => {
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('customer', '/customers', post({ name: 'X', email: 'x@contract.example' })), 401);
      await expectProblem(system.request('customer', '/customers', post({ name: 'X', email: 'x@contract.example' }, BAD_TOKEN)), 401);
      await expectProblem(system.request('customer', '/customers', post({ name: 'X', email: 'x@contract.example' }, SUPPORT)), 403);
      await expectProblem(system.request('customer', '/customers', post({ name: 'Other Carol', email: 'carol@contract.example' }, ADMIN)), 409);
      await expectProblem(system.request('customer', '/customers', post({ name: 'Other Carol', email: 'CAROL@Contract.Example' }, ADMIN)), 409);
      for (const body of [{}, { name: 'X' }, { email: 'x@contract.example' }, { name: 'X', email: 'not-an-email' }, { name: '', email: 'x@contract.example' }, { name: 'X', email: 'x@contract.example', customer_id: NOBODY }, []]) {
        await expectProblem(system.request('customer', '/customers', post(body, ADMIN)), 422, { fieldErrors: true });
      }
      await expectProblem(system.request('customer', '/customers', raw('POST', '{"name": "X"', ADMIN)), 400);
      await expectProblem(system.request('customer', '/customers', raw('POST', '', ADMIN)), 400);
    });
  });

  it('reads a customer: itself, support or admin; another customer gets 404; an unknown id 404', async () => {
    await system.quiesce();
    expect(await expectJsonAnswer(get('customer', `/customers/${created.customer_id}`, asCustomer(created.customer_id)), 200)).toEqual(created);
    expect(await expectJsonAnswer(get('customer', `/customers/${created.customer_id}`, SUPPORT), 200)).toEqual(created);
    await expectProblem(get('customer', `/customers/${created.customer_id}`, asCustomer(JOHN)), 404);
    await expectProblem(get('customer', `/customers/${NOBODY}`, ADMIN), 404);
    await expectProblem(get('customer', `/customers/${JOHN}`), 401);
    await expectProblem(get('customer', `/customers/${JOHN}`, asCustomer(NOBODY)), 401);
    await expectProblem(get('customer', `/customers/${JOHN}`, asCustomer('not-a-uuid')), 400);
  });

  it('updates a customer (admin): 200 with the resource; e-mail unique (409); bad input refused, writing nothing', async () => {
    const updated = expectShape(CustomerShape, await expectJsonAnswer(system.request('customer', `/customers/${created.customer_id}`, put({ name: 'Carol Contract' }, ADMIN)), 200));
    expect(updated).toMatchObject({ customer_id: created.customer_id, name: 'Carol Contract', email: 'carol@contract.example' });
    expect(await expectJsonAnswer(get('customer', `/customers/${created.customer_id}`, ADMIN), 200)).toEqual(updated);
    await expectNothingWritten(system, async () => {
      await expectProblem(system.request('customer', `/customers/${created.customer_id}`, put({ email: 'john.smith@example.com' }, ADMIN)), 409);
      await expectProblem(system.request('customer', `/customers/${created.customer_id}`, put({ name: 'X' }, SUPPORT)), 403);
      await expectProblem(system.request('customer', `/customers/${created.customer_id}`, put({ name: 'X' })), 401);
      await expectProblem(system.request('customer', `/customers/${NOBODY}`, put({ name: 'X' }, ADMIN)), 404);
      for (const body of [{}, { email: 'nope' }, { name: '' }, { name: 'X', role: 'admin' }]) {
        await expectProblem(system.request('customer', `/customers/${created.customer_id}`, put(body, ADMIN)), 422, { fieldErrors: true });
      }
      await expectProblem(system.request('customer', `/customers/${created.customer_id}`, raw('PUT', '{', ADMIN)), 400);
      await expectProblem(system.request('customer', `/customers/${created.customer_id}`, raw('PUT', '', ADMIN)), 400);
    });
  });

  it('deletes a customer (admin): 204, after which it is no longer known (401 on customer endpoints)', async () => {
    await system.quiesce();
    await readCart(created.customer_id);
    await expectNothingWritten(system, async () => {
      await expectProblem(del('customer', `/customers/${created.customer_id}`), 401);
      await expectProblem(del('customer', `/customers/${created.customer_id}`, SUPPORT), 403);
      await expectProblem(del('customer', `/customers/${NOBODY}`, ADMIN), 404);
    });
    const res = await del('customer', `/customers/${created.customer_id}`, ADMIN);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await system.quiesce();
    const who = asCustomer(created.customer_id);
    await expectProblem(get('customer', `/customers/${created.customer_id}`, who), 401);
    await expectProblem(get('customer', `/customers/${created.customer_id}`, ADMIN), 404);
    await expectProblem(get('cart', '/cart', who), 401);
    await expectProblem(system.request('cart', '/cart/items', post({ product_sku: 'MUG-LOGO', quantity: 1 }, who)), 401);
    await expectProblem(get('order', '/orders', who), 401);
    await expectProblem(system.request('order', '/orders', post({ items: [{ product_sku: 'MUG-LOGO', quantity: 1 }] }, who)), 401);
    await expectProblem(del('customer', `/customers/${created.customer_id}`, ADMIN), 404);
  });
});
