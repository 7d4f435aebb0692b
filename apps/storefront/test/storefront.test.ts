import { describe, expect, it } from 'vitest';
import { httpServiceClient } from '../src/service-client';
import { EMPTY_CART, fakeStorefront, formPost, JOHN, json, problem, sessionCookie, TEE } from './storefront-test-kit';

// An unsigned ID token is enough here: the storefront never verifies it, the services do.
const token = (claims: Record<string, unknown>) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

describe('the session cookie on requests', () => {
  it('shows the cart of the signed-in shopper', async () => {
    const { app, calls } = fakeStorefront({ 'cart GET /cart': json(EMPTY_CART) });
    const res = await app.request('/cart', { headers: { Cookie: sessionCookie() } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Signed in as <strong>John Smith</strong>');
    expect(calls.map((c) => c.headers['X-Customer-Id'])).toEqual([JOHN.customerId]);
  });

  it('treats a tampered cookie as signed out: the cart sends to sign-in, and no service hears of it', async () => {
    const { app, calls } = fakeStorefront({ 'cart GET /cart': json(EMPTY_CART) });
    const [name, value] = sessionCookie().split('=') as [string, string];
    const [, payload, mac] = value.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), c: '550e8400-e29b-41d4-a716-446655440001' })).toString('base64url');
    for (const cookie of [`${name}=v1.${other}.${mac}`, sessionCookie(JOHN, 'another-secret-of-enough-length-0123456789')]) {
      const res = await app.request('/cart', { headers: { Cookie: cookie } });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/sign-in?next=%2Fcart');
    }
    expect(calls).toEqual([]);
  });

  it('signs in with a customer the customer service confirms, in an HttpOnly SameSite cookie, and back to where the shopper was', async () => {
    const { app, calls } = fakeStorefront({ [`customer GET /customers/${JOHN.customerId}`]: json({ customer_id: JOHN.customerId, name: 'John Smith', email: 'john@example.com' }) });
    const res = await app.request('/session', formPost({ customer_id: JOHN.customerId, next: '/cart' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/cart');
    expect(res.headers.get('Set-Cookie')).toMatch(/^shop_session=v1\.[\w-]+\.[\w-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(calls[0]!.headers).toEqual({ 'X-Customer-Id': JOHN.customerId });
  });

  it('never sends a shopper elsewhere after sign-in', async () => {
    const { app } = fakeStorefront({ [`customer GET /customers/${JOHN.customerId}`]: json({ customer_id: JOHN.customerId, name: 'John Smith', email: 'john@example.com' }) });
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const res = await app.request('/session', formPost({ customer_id: JOHN.customerId, next }));
      expect(res.headers.get('Location'), next).toBe('/');
    }
  });

  it('refuses a form posted from another site with 403, before any service is asked', async () => {
    const { app, calls } = fakeStorefront({});
    const res = await app.request('/cart/checkout', { ...formPost({}, sessionCookie()), headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: sessionCookie(), 'Sec-Fetch-Site': 'cross-site' } });
    expect(res.status).toBe(403);
    expect(calls).toEqual([]);
  });
});

describe('identity forwarding', () => {
  it('header mode: sends X-Customer-Id from the session, and neither the browser’s Authorization nor its X-Customer-Id', async () => {
    const { app, calls } = fakeStorefront({ 'cart GET /cart': json(EMPTY_CART) });
    await app.request('/cart', { headers: { Cookie: sessionCookie(), Authorization: `Bearer ${token({ customer_id: 'someone-else' })}`, 'X-Customer-Id': '550e8400-e29b-41d4-a716-446655440004' } });
    expect(calls.map((c) => c.headers)).toEqual([{ 'X-Customer-Id': JOHN.customerId }]);
  });

  it('jwt mode: forwards the bearer token of the request and never an X-Customer-Id', async () => {
    const { app, calls } = fakeStorefront({ 'cart GET /cart': json(EMPTY_CART) }, { identityMode: 'jwt' });
    const idToken = token({ customer_id: JOHN.customerId });
    const res = await app.request('/cart', { headers: { Authorization: `Bearer ${idToken}`, 'X-Customer-Id': '550e8400-e29b-41d4-a716-446655440004' } });
    expect(res.status).toBe(200);
    expect(calls.map((c) => c.headers)).toEqual([{ Authorization: `Bearer ${idToken}` }]);
  });

  it('jwt mode: signs in with an ID token the customer service accepts, then forwards that token from the session', async () => {
    const idToken = token({ customer_id: JOHN.customerId });
    const { app, calls } = fakeStorefront(
      {
        [`customer GET /customers/${JOHN.customerId}`]: json({ customer_id: JOHN.customerId, name: 'John Smith', email: 'john@example.com' }),
        'cart GET /cart': json(EMPTY_CART),
      },
      { identityMode: 'jwt' },
    );
    const signedIn = await app.request('/session', formPost({ token: idToken, next: '/cart' }));
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get('Set-Cookie')!.split(';')[0]!;
    await app.request('/cart', { headers: { Cookie: cookie } });
    expect(calls.map((c) => c.headers)).toEqual([{ Authorization: `Bearer ${idToken}` }, { Authorization: `Bearer ${idToken}` }]);
    expect(calls.some((c) => 'X-Customer-Id' in c.headers)).toBe(false);
  });

  it('jwt mode: a token the customer service refuses does not sign in', async () => {
    const { app } = fakeStorefront({ [`customer GET /customers/${JOHN.customerId}`]: problem(401, 'Unauthorized', 'The token is not valid.') }, { identityMode: 'jwt' });
    const res = await app.request('/session', formPost({ token: token({ customer_id: JOHN.customerId }) }));
    expect(res.status).toBe(401);
    expect(res.headers.get('Set-Cookie')).toBeNull();
    expect(await res.text()).toContain('The shop did not accept that token.');
  });
});

describe('errors from the services', () => {
  it('shows a 409 of the cart (a pending checkout) on the cart page with its status and the service’s words', async () => {
    const pending = { ...EMPTY_CART, status: 'pending', cart_locked: true, items: [{ product_sku: 'TEE', name: 'T-shirt', quantity: 1, unit_price_cents: 1999 }], total_cents: 1999 };
    const { app } = fakeStorefront({
      'cart POST /cart/items': problem(409, 'Conflict', 'The cart is locked while its checkout is pending.'),
      'cart GET /cart': json(pending),
    });
    const res = await app.request('/cart/items', formPost({ sku: 'TEE', quantity: '1' }, sessionCookie()));
    expect(res.status).toBe(409);
    const page = await res.text();
    expect(page).toContain('Your cart cannot change right now');
    expect(page).toContain('The cart is locked while its checkout is pending.');
    expect(page).toContain('Checking stock…');
  });

  it('shows a 422 with its field problems, escaped', async () => {
    const { app } = fakeStorefront({
      'cart POST /cart/items': new Response(JSON.stringify({ title: 'Unprocessable', status: 422, detail: 'The body is invalid.', errors: [{ field: 'product_sku', message: 'unknown <b>product</b>' }] }), { status: 422 }),
      'cart GET /cart': json(EMPTY_CART),
    });
    const res = await app.request('/cart/items', formPost({ sku: 'NOPE', quantity: '1' }, sessionCookie()));
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('<strong>product sku</strong>: unknown &lt;b&gt;product&lt;/b&gt;');
  });

  it('answers a service that cannot be reached with a 503 page naming it, and a failing one with 502, never a 500', async () => {
    const urls = { product: 'http://product.invalid', cart: 'http://cart.invalid', order: 'http://o.invalid', customer: 'http://c.invalid', notification: 'http://n.invalid', push: 'http://p.invalid' };
    const unreachable = httpServiceClient({ urls, fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    const down = await fakeStorefront({}, { services: unreachable }).app.request('/');
    expect(down.status).toBe(503);
    expect(await down.text()).toContain('The product service could not answer just now.');

    const failing = fakeStorefront({ 'product GET /products': problem(500, 'Internal Server Error', 'secret stack trace') });
    const res = await failing.app.request('/');
    expect(res.status).toBe(502);
    const page = await res.text();
    expect(page).toContain('The product service could not answer just now.');
    expect(page).not.toContain('secret stack trace');
  });

  it('shows another customer’s order as not found, and signs out a shopper the services no longer know', async () => {
    const { app } = fakeStorefront({
      'order GET /orders/abc': problem(404, 'Not Found', 'No order abc.'),
      'order GET /orders': problem(401, 'Unauthorized', 'Unknown customer.'),
    });
    const missing = await app.request('/orders/abc', { headers: { Cookie: sessionCookie() } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('There is nothing here, or it is not yours.');
    const gone = await app.request('/orders', { headers: { Cookie: sessionCookie() } });
    expect(gone.status).toBe(303);
    expect(gone.headers.get('Location')).toBe('/sign-in?next=%2Forders');
    expect(gone.headers.get('Set-Cookie')).toMatch(/^shop_session=; Max-Age=0/);
  });
});

describe('GET /', () => {
  it('is the catalog for a browser and for */*, and the services\' {status, service, version} for a client asking for JSON', async () => {
    const { app } = fakeStorefront({ 'product GET /products': json({ items: [], next_cursor: null }) });
    for (const accept of ['text/html,application/xhtml+xml,*/*;q=0.8', '*/*']) {
      const page = await app.request('/', { headers: { Accept: accept } });
      expect(page.headers.get('Content-Type'), accept).toMatch(/^text\/html/);
    }
    const res = await app.request('/', { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', service: 'storefront', version: expect.any(String) });
  });
});

describe('the catalog', () => {
  it('turns the shopper’s filters into GET /products’s query, and shows prices and remaining stock', async () => {
    const { app, calls } = fakeStorefront({ 'product GET /products': json({ items: [TEE], next_cursor: 'next-page' }) });
    const res = await app.request('/?q=shirt&min=10&max=25.5&sort=-price');
    expect(res.status).toBe(200);
    expect(calls[0]!.path).toBe('/products?limit=24&q=shirt&min_price_cents=1000&max_price_cents=2550&sort=-price');
    const page = await res.text();
    expect(page).toContain('€19.99');
    expect(page).toContain('Only 3 left');
    expect(page).toContain('href="/?q=shirt&amp;min=10&amp;max=25.5&amp;sort=-price&amp;cursor=next-page"');
  });

  it('refuses a price that is not one with 422 and a message, without asking the product service', async () => {
    const { app, calls } = fakeStorefront({});
    const res = await app.request('/?min=cheap');
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('A price is a number such as 20 or 19.99.');
    expect(calls).toEqual([]);
  });
});

describe('signing in by choosing a customer', () => {
  it('is refused with 403 when the picker is off (outside development and test), and the page lists nobody', async () => {
    const { app, calls } = fakeStorefront({}, { customerPicker: false });
    const page = await app.request('/sign-in');
    expect(await page.text()).toContain('Choosing a customer here is turned off');
    const res = await app.request('/session', formPost({ customer_id: JOHN.customerId }));
    expect(res.status).toBe(403);
    expect(res.headers.get('Set-Cookie')).toBeNull();
    expect(calls).toEqual([]);
  });
});
