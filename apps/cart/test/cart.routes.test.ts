import { beforeAll, describe, expect, it } from 'vitest';
import { json, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import {
  addToCart,
  asCustomer,
  cartApp,
  cartState,
  checkoutCart,
  DOLLAR_CAP,
  HAT,
  JANE,
  JOHN,
  MUG,
  newCustomer,
  NOBODY,
  problem,
  readCart,
  TEE,
  type Cart,
  type CartTestApp,
  type ProblemBody,
} from './cart-test-app';

let db: TestDatabase;
let cart: CartTestApp;

beforeAll(async () => {
  db = await useTestDatabase();
  cart = await cartApp(db);
});

/** Runs `request`, expects `status` as a problem document, and that no cart table nor the outbox changed. */
async function refusedUnchanged(status: number, request: () => Response | Promise<Response>): Promise<ProblemBody> {
  const before = await cartState(db);
  const body = await problem(await request(), status);
  expect(await cartState(db)).toEqual(before);
  return body;
}

const add = (customerId: string, body: unknown) => cart.app.request('/cart/items', json('POST', body, asCustomer(customerId)));
const remove = (customerId: string, sku: string) =>
  cart.app.request(`/cart/items/${encodeURIComponent(sku)}`, { method: 'DELETE', headers: asCustomer(customerId) });

describe('cart service: common endpoints', () => {
  it('documents its routes in /openapi.json', async () => {
    const doc = (await (await cart.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/cart')).sort()).toEqual([
      '/cart',
      '/cart/convert-to-order',
      '/cart/events',
      '/cart/items',
      '/cart/items/{product_sku}',
    ]);
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const res = await cart.app.request('/cart', { method: 'PUT', headers: asCustomer(JOHN) });
    await problem(res, 405);
    expect(res.headers.get('Allow')).toBe('GET, HEAD');
  });
});

describe('GET /cart', () => {
  it('answers an empty open cart for a customer without one, with the same cart_id on every read, writing nothing', async () => {
    const customer = await newCustomer(cart);
    const before = await cartState(db);
    const first = await readCart(cart, customer);
    expect(first).toEqual({
      cart_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      customer_id: customer,
      status: 'open',
      cart_locked: false,
      items: [],
      total_cents: 0,
      currency: 'EUR',
      order_id: null,
      rejection: null,
    });
    expect(await readCart(cart, customer)).toEqual(first);
    expect(await cartState(db)).toEqual(before);
  });

  it('keeps that cart_id when the first add creates the cart', async () => {
    const customer = await newCustomer(cart);
    const empty = await readCart(cart, customer);
    const filled = await addToCart(cart, customer, TEE.sku);
    expect(filled.cart_id).toBe(empty.cart_id);
    expect((await readCart(cart, customer)).cart_id).toBe(empty.cart_id);
  });

  it("shows each customer their own cart, never another's", async () => {
    await addToCart(cart, JOHN, MUG.sku);
    const jane = await readCart(cart, JANE);
    const john = await readCart(cart, JOHN);
    expect(jane.cart_id).not.toBe(john.cart_id);
    expect(jane.customer_id).toBe(JANE);
    expect(jane.items.map((i) => i.product_sku)).not.toContain(MUG.sku);
  });

  it('answers 401 without X-Customer-Id or for an unknown customer, 400 for one that is no UUID', async () => {
    await problem(await cart.app.request('/cart'), 401);
    await problem(await cart.app.request('/cart', { headers: asCustomer(NOBODY) }), 401);
    await problem(await cart.app.request('/cart', { headers: asCustomer('john') }), 400);
  });

  it('answers 401 to a staff token: carts belong to customers', async () => {
    await problem(await cart.app.request('/cart', { headers: supportHeaders }), 401);
  });

  it('treats X-Customer-Id case-insensitively', async () => {
    const customer = await newCustomer(cart);
    const res = await cart.app.request('/cart', { headers: asCustomer(customer.toUpperCase()) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Cart).customer_id).toBe(customer);
  });

  it('answers 401 once customer.deleted arrived, and accepts the customer again after customer.upserted', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku);
    await cart.publishToCart('customer.deleted', { customer_id: customer });
    await problem(await cart.app.request('/cart', { headers: asCustomer(customer) }), 401);
    await problem(await add(customer, { product_sku: TEE.sku, quantity: 1 }), 401);
    await cart.publishToCart('customer.upserted', { customer_id: customer, name: 'Back Again', email: 'back@example.com' });
    expect((await readCart(cart, customer)).items).toHaveLength(1);
  });
});

describe('POST /cart/items', () => {
  it('adds a line with the catalog name and price, answering 200 with the cart', async () => {
    const customer = await newCustomer(cart);
    const res = await add(customer, { product_sku: TEE.sku, quantity: 2 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Cart;
    expect(body).toMatchObject({
      customer_id: customer,
      status: 'open',
      cart_locked: false,
      items: [{ product_sku: TEE.sku, name: TEE.name, quantity: 2, unit_price_cents: TEE.price_cents }],
      total_cents: 2 * TEE.price_cents,
      currency: 'EUR',
      order_id: null,
      rejection: null,
    });
    expect(await readCart(cart, customer)).toEqual(body);
  });

  it('adds to an existing line instead of adding a second one, and keeps lines in the order they were added', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku, 1);
    await addToCart(cart, customer, MUG.sku, 1);
    const body = await addToCart(cart, customer, TEE.sku, 3);
    expect(body.items.map((i) => [i.product_sku, i.quantity])).toEqual([
      [TEE.sku, 4],
      [MUG.sku, 1],
    ]);
    expect(body.total_cents).toBe(4 * TEE.price_cents + MUG.price_cents);
  });

  it('takes the currency of the first line', async () => {
    const customer = await newCustomer(cart);
    const body = await addToCart(cart, customer, DOLLAR_CAP.sku);
    expect(body.currency).toBe('USD');
  });

  it.each([
    ['an unknown product', 'NO-SUCH-SKU'],
    ['an inactive product', HAT.sku],
  ])('answers 422 for %s, writing nothing', async (_label, sku) => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku);
    const body = await refusedUnchanged(422, () => add(customer, { product_sku: sku, quantity: 1 }));
    expect(body.errors).toEqual([expect.objectContaining({ field: 'product_sku' })]);
  });

  it('answers 422 for a product deleted from the catalog, writing nothing', async () => {
    await cart.publishToCart('product.upserted', { sku: 'GONE-1', name: 'Gone', description: '', price_cents: 100, currency: 'EUR', active: true });
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, 'GONE-1');
    await cart.publishToCart('product.deleted', { sku: 'GONE-1' });
    await refusedUnchanged(422, () => add(customer, { product_sku: 'GONE-1', quantity: 1 }));
  });

  it('answers 422 for a product in another currency than the cart, writing nothing', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku);
    await refusedUnchanged(422, () => add(customer, { product_sku: DOLLAR_CAP.sku, quantity: 1 }));
  });

  it.each([
    ['quantity 0', { product_sku: 'TEE-RED', quantity: 0 }, ['quantity']],
    ['a negative quantity', { product_sku: 'TEE-RED', quantity: -1 }, ['quantity']],
    ['a fractional quantity', { product_sku: 'TEE-RED', quantity: 1.5 }, ['quantity']],
    ['a quantity as a string', { product_sku: 'TEE-RED', quantity: '2' }, ['quantity']],
    ['a quantity over the line limit', { product_sku: 'TEE-RED', quantity: 1001 }, ['quantity']],
    ['no fields', {}, ['product_sku', 'quantity']],
    ['an empty SKU', { product_sku: '', quantity: 1 }, ['product_sku']],
    ['an unknown field', { product_sku: 'TEE-RED', quantity: 1, price_cents: 1 }, ['price_cents']],
    ['a JSON array', [{ product_sku: 'TEE-RED', quantity: 1 }], ['(body)']],
  ])('answers 422 for %s, listing the fields, writing nothing', async (_label, input, fields) => {
    const body = await refusedUnchanged(422, () => add(JOHN, input));
    expect([...new Set(body.errors?.map((e) => e.field))].sort()).toEqual([...fields].sort());
  });

  it('answers 422 when the line would exceed its limit, writing nothing', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku, 1000);
    await refusedUnchanged(422, () => add(customer, { product_sku: TEE.sku, quantity: 1 }));
  });

  it('answers 400 for a body that is not JSON, and for an empty body, writing nothing', async () => {
    const headers = { 'Content-Type': 'application/json', ...asCustomer(JOHN) };
    await refusedUnchanged(400, () => cart.app.request('/cart/items', { method: 'POST', headers, body: '{"product_sku": ' }));
    await refusedUnchanged(400, () => cart.app.request('/cart/items', { method: 'POST', headers }));
  });

  it('checks identity before the body: a bad body without identity is 401', async () => {
    await refusedUnchanged(401, () => cart.app.request('/cart/items', { method: 'POST', body: '{oops' }));
    await refusedUnchanged(401, () => add(NOBODY, { product_sku: TEE.sku, quantity: 1 }));
    await refusedUnchanged(400, () => add('not-a-uuid', { product_sku: TEE.sku, quantity: 1 }));
  });

  it('answers 409 while the cart is pending (locked), writing nothing', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku);
    await checkoutCart(cart, customer);
    const body = await refusedUnchanged(409, () => add(customer, { product_sku: MUG.sku, quantity: 1 }));
    expect(body.detail).toMatch(/pending/);
  });
});

describe('DELETE /cart/items/:product_sku', () => {
  it('removes the line and answers 200 with the cart', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku, 2);
    await addToCart(cart, customer, MUG.sku, 1);
    const res = await remove(customer, TEE.sku);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Cart;
    expect(body.items.map((i) => i.product_sku)).toEqual([MUG.sku]);
    expect(body.total_cents).toBe(MUG.price_cents);
    expect(await readCart(cart, customer)).toEqual(body);
  });

  it('leaves an empty open cart after removing the last line', async () => {
    const customer = await newCustomer(cart);
    const added = await addToCart(cart, customer, TEE.sku);
    const res = await remove(customer, TEE.sku);
    expect(await res.json()).toMatchObject({ cart_id: added.cart_id, status: 'open', items: [], total_cents: 0 });
  });

  it('answers 404 for a line not in the cart, and for a customer without a cart, writing nothing', async () => {
    const customer = await newCustomer(cart);
    await refusedUnchanged(404, () => remove(customer, TEE.sku));
    await addToCart(cart, customer, TEE.sku);
    await refusedUnchanged(404, () => remove(customer, MUG.sku));
  });

  it("answers 404 for a line only another customer's cart has", async () => {
    const customer = await newCustomer(cart);
    const other = await newCustomer(cart);
    await addToCart(cart, other, MUG.sku);
    await refusedUnchanged(404, () => remove(customer, MUG.sku));
    expect((await readCart(cart, other)).items).toHaveLength(1);
  });

  it('answers 409 while the cart is pending, writing nothing', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku);
    await checkoutCart(cart, customer);
    await refusedUnchanged(409, () => remove(customer, TEE.sku));
  });

  it('answers 401 without identity, 400 for an X-Customer-Id that is no UUID', async () => {
    await refusedUnchanged(401, () => cart.app.request(`/cart/items/${TEE.sku}`, { method: 'DELETE' }));
    await refusedUnchanged(400, () => remove('123', TEE.sku));
  });
});
