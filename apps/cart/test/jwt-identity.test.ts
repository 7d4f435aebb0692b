import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@shop/config';
import { testAppContext } from '@shop/service/test';
import { adminHeaders, startIdTokenIssuer, supportHeaders, testLogger, useTestDatabase, type TestIdTokenIssuer } from '@shop/testing';
import { createApp, type CartApp } from '../src/app';
import { cartConfigSchema } from '../src/config';
import { cartHandlers } from '../src/events/handlers';
import { asCustomer, JANE, JOHN, message, NOBODY } from './cart-test-app';

// The path every service shares: environment → config schema → createServiceApp → requireAccess.
describe('the cart service in jwt mode (IDENTITY_MODE=jwt)', () => {
  let issuer: TestIdTokenIssuer;
  let cart: CartApp;

  beforeAll(async () => {
    issuer = await startIdTokenIssuer({ audience: 'shop-cart' });
    const db = await useTestDatabase({ poolMax: 2 });
    const context = testAppContext('cart', db, { handlers: cartHandlers({ logger: testLogger('cart') }) });
    const config = loadConfig(cartConfigSchema, {
      NODE_ENV: 'test',
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused',
      IDENTITY_MODE: 'jwt',
      IDENTITY_JWT_ISSUER: issuer.issuer,
      IDENTITY_JWT_AUDIENCE: 'shop-cart',
      IDENTITY_JWT_JWKS_URL: issuer.jwksUrl,
      IDENTITY_JWT_CLAIM: 'shop_customer',
    });
    cart = createApp({ ...context, config });
    for (const [customer_id, name] of [
      [JOHN, 'John Smith'],
      [JANE, 'Jane Doe'],
    ] as const) {
      await context.events.consumer.deliver('cart.customer.upserted', [message('customer.upserted', { customer_id, name, email: `${customer_id}@example.com` })]);
    }
  });
  afterAll(async () => {
    cart.changes.close();
    await issuer.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('serves the cart of the customer the ID token names', async () => {
    const res = await cart.app.request('/cart', { headers: bearer(await issuer.sign({ shop_customer: JOHN })) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ customer_id: JOHN });
  });

  it('ignores X-Customer-Id: alone it is 401, beside a token the token wins', async () => {
    expect((await cart.app.request('/cart', { headers: asCustomer(JOHN) })).status).toBe(401);
    const res = await cart.app.request('/cart', { headers: { ...asCustomer(JOHN), ...bearer(await issuer.sign({ shop_customer: JANE })) } });
    expect(await res.json()).toMatchObject({ customer_id: JANE });
  });

  it('answers 401 to a token for another audience, an expired one, and one naming an unknown customer', async () => {
    for (const token of [
      await issuer.sign({ shop_customer: JOHN }, { audience: 'shop-order' }),
      await issuer.sign({ shop_customer: JOHN }, { expiresIn: -120 }),
      await issuer.sign({ shop_customer: NOBODY }),
      await issuer.sign({ customer_id: JOHN }),
    ]) {
      const res = await cart.app.request('/cart', { headers: bearer(token) });
      expect(res.status).toBe(401);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    }
  });

  it('keeps staff tokens working', async () => {
    expect((await cart.app.request('/admin/dead-letters', { headers: adminHeaders })).status).toBe(200);
    expect((await cart.app.request('/admin/dead-letters', { headers: supportHeaders })).status).toBe(403);
  });
});
