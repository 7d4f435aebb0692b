import type { Context, Hono } from 'hono';
import type { SafeHtml } from '@shop/http/web';
import { claimOf } from '../identity';
import { ServiceProblem } from '../service-client';
import type { Shopper } from '../session';
import type { Customer } from '../shop-api';
import { signInPage } from '../views/account.page';
import { alertBox } from '../views/layout';
import { problemMessage, readForm, render, safeNext, signIn, signOut, type Storefront } from './web';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How long a new customer may take to reach the cart's and order's read models (customer.upserted). */
const NEW_CUSTOMER_WAIT_MS = 5_000;

/**
 * Cart and order learn of a new customer from its `customer.upserted` event, a moment after it was created;
 * until then they answer 401. Waiting here keeps the shopper's first click from signing them out again.
 */
async function untilKnown(shop: Storefront, shopper: Shopper): Promise<void> {
  const deadline = Date.now() + NEW_CUSTOMER_WAIT_MS;
  for (const ask of [() => shop.api.cart(shopper), () => shop.api.orders(shopper)]) {
    for (;;) {
      try {
        await ask();
        break;
      } catch (err) {
        if (!(err instanceof ServiceProblem) || err.status !== 401 || Date.now() > deadline) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

async function signInView(c: Context, shop: Storefront, next: string, status = 200, error?: SafeHtml): Promise<Response> {
  let customers: Customer[] = [];
  if (shop.customerPicker) customers = (await shop.api.customers()).items;
  const body = signInPage({ mode: shop.identityMode, picker: shop.customerPicker, customers, next, error, canCreate: shop.canCreateCustomers });
  return render(c, shop, { title: 'Sign in', current: 'account', body }, status);
}

/**
 * Signing in and out. Header mode: the shopper chooses a customer (or creates one) and the session names it;
 * jwt mode: the shopper's ID token is kept in the session and forwarded. Either way the customer service
 * confirms it first (`GET /customers/:id` as that shopper), so a session never names someone unknown.
 */
export function registerAccountRoutes(app: Hono, shop: Storefront): void {
  app.get('/sign-in', (c) => signInView(c, shop, safeNext(c.req.query('next'))));

  app.post('/session', async (c) => {
    const form = (await readForm(c)) ?? {};
    const next = safeNext(form['next']);
    const token = shop.identityMode === 'jwt' ? form['token']?.trim() : undefined;
    if (!token && !shop.customerPicker) return signInView(c, shop, next, 403, alertBox('error', 'Signing in by choosing a customer is turned off here'));
    const customerId = token ? claimOf(token, shop.jwtClaim) : form['customer_id'];
    if (!customerId || !UUID.test(customerId)) {
      const message = token ? `That token names no customer (its ${shop.jwtClaim} claim).` : 'Choose one of the customers below.';
      return signInView(c, shop, next, 422, alertBox('error', 'Could not sign you in', message));
    }
    try {
      const customer = await shop.api.self({ customerId, name: '', ...(token ? { token } : {}) });
      signIn(c, shop, { customerId: customer.customer_id, name: customer.name, ...(token ? { token } : {}) });
    } catch (err) {
      if (!(err instanceof ServiceProblem) || err.status >= 500) throw err;
      const message = err.status === 401 ? (token ? 'The shop did not accept that token.' : 'That customer does not exist (any more).') : problemMessage(err);
      return signInView(c, shop, next, err.status === 401 ? 401 : 422, alertBox('error', 'Could not sign you in', message));
    }
    return c.redirect(next, 303);
  });

  app.post('/customers', async (c) => {
    const form = (await readForm(c)) ?? {};
    const next = safeNext(form['next']);
    if (!shop.canCreateCustomers) return signInView(c, shop, next, 403, alertBox('error', 'New customers cannot be created here'));
    try {
      const customer = await shop.api.createCustomer({ name: (form['name'] ?? '').trim(), email: (form['email'] ?? '').trim() });
      const shopper = { customerId: customer.customer_id, name: customer.name };
      await untilKnown(shop, shopper);
      signIn(c, shop, shopper);
    } catch (err) {
      // 409: the e-mail is taken; 422: a field is wrong.
      if (!(err instanceof ServiceProblem) || err.status >= 500 || err.status === 401 || err.status === 403) throw err;
      return signInView(c, shop, next, err.status, alertBox('error', 'Could not create the customer', problemMessage(err)));
    }
    return c.redirect(next, 303);
  });

  app.post('/sign-out', (c) => {
    signOut(c);
    return c.redirect('/', 303);
  });
}
