import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  admin,
  asCustomer,
  createTestApp,
  CUSTOMER_A,
  jsonRequest,
  support,
  SUPPORT_TOKEN,
  UNKNOWN_CUSTOMER,
} from './test-support';

const THING = '0b7f3c1e-7c5a-4a4e-9d3b-2f1a6f1c9e11';

async function status(res: Response): Promise<{ status: number; type: string; wwwAuthenticate: string | null }> {
  const body = (await res.json()) as { type: string };
  return { status: res.status, type: body.type, wwwAuthenticate: res.headers.get('WWW-Authenticate') };
}

describe('requireAccess', () => {
  describe('staff routes', () => {
    it('answers 401 with WWW-Authenticate when the bearer token is missing', async () => {
      const { app } = createTestApp();
      const res = await app.request('/things');
      expect(await status(res)).toMatchObject({ status: 401, wwwAuthenticate: expect.stringMatching(/^Bearer/) });
    });

    it.each([
      ['an unknown token', 'Bearer nope-nope-nope-nope'],
      ['a prefix of the admin token', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
      ['the admin token with a suffix', `Bearer ${ADMIN_TOKEN}x`],
      ['another scheme', `Basic ${ADMIN_TOKEN}`],
      ['a scheme without a token', 'Bearer '],
      ['two tokens', `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`],
    ])('answers 401 for %s', async (_label, authorization) => {
      const { app } = createTestApp();
      const res = await app.request('/things', { headers: { Authorization: authorization } });
      expect(res.status).toBe(401);
    });

    it('answers 403 for a valid token without the needed role (support on an admin write)', async () => {
      const { app, created } = createTestApp();
      const res = await app.request('/things', jsonRequest('POST', { name: 'x' }, support));
      expect(await status(res)).toMatchObject({ status: 403, type: 'https://problems.shop.example/forbidden' });
      expect(created()).toBe(0);
    });

    it('lets admin do what support may', async () => {
      const { app } = createTestApp();
      expect((await app.request('/things', { headers: admin })).status).toBe(200);
      expect((await app.request('/things', { headers: support })).status).toBe(200);
    });

    it.each(['bearer', 'BEARER', 'BeArEr'])('accepts the scheme written %s', async (scheme) => {
      const { app } = createTestApp();
      expect((await app.request('/things', { headers: { Authorization: `${scheme} ${SUPPORT_TOKEN}` } })).status).toBe(200);
    });

    it('answers 401 to a customer on a staff route', async () => {
      const { app } = createTestApp();
      expect((await app.request('/things', { headers: asCustomer(CUSTOMER_A) })).status).toBe(401);
    });
  });

  describe('customer routes', () => {
    it('answers 401 when X-Customer-Id is missing', async () => {
      const { app } = createTestApp();
      expect((await app.request('/mine')).status).toBe(401);
    });

    it('answers 400 when X-Customer-Id is not a UUID', async () => {
      const { app } = createTestApp();
      const res = await app.request('/mine', { headers: asCustomer('customer-1') });
      expect(await status(res)).toMatchObject({ status: 400, type: 'https://problems.shop.example/bad-request' });
    });

    it('answers 401 when X-Customer-Id names no known customer', async () => {
      const { app } = createTestApp();
      expect((await app.request('/mine', { headers: asCustomer(UNKNOWN_CUSTOMER) })).status).toBe(401);
    });

    it('accepts a known customer, whatever the case of the id', async () => {
      const { app } = createTestApp();
      const res = await app.request('/mine', { headers: asCustomer(CUSTOMER_A.toUpperCase()) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ principal: { kind: 'customer', customerId: CUSTOMER_A } });
    });

    it('answers 401 to a staff token on a customer-only route without X-Customer-Id', async () => {
      const { app } = createTestApp();
      expect((await app.request('/mine', { headers: admin })).status).toBe(401);
    });
  });

  describe('routes open to a customer and to staff', () => {
    it('takes the customer from X-Customer-Id when no token is sent', async () => {
      const { app } = createTestApp();
      const res = await app.request(`/things/${THING}`, { headers: asCustomer(CUSTOMER_A) });
      expect(await res.json()).toMatchObject({ principal: { kind: 'customer', customerId: CUSTOMER_A } });
    });

    it('takes staff from the token, also for admin', async () => {
      const { app } = createTestApp();
      const res = await app.request(`/things/${THING}`, { headers: admin });
      expect(await res.json()).toMatchObject({ principal: { kind: 'staff', role: 'admin' } });
    });

    it('answers 401 with neither credential', async () => {
      const { app } = createTestApp();
      expect((await app.request(`/things/${THING}`)).status).toBe(401);
    });

    it('answers 401 for an unknown token even beside a valid X-Customer-Id', async () => {
      const { app } = createTestApp();
      const res = await app.request(`/things/${THING}`, { headers: { ...asCustomer(CUSTOMER_A), Authorization: 'Bearer wrong-wrong-wrong' } });
      expect(res.status).toBe(401);
    });
  });

  describe('order of checks', () => {
    it('answers 401, not 400, to a malformed body without credentials', async () => {
      const { app } = createTestApp();
      const res = await app.request('/things', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{not json' });
      expect(res.status).toBe(401);
    });

    it('answers 401, not 422, to an invalid body without credentials', async () => {
      const { app } = createTestApp();
      expect((await app.request('/things', jsonRequest('POST', { nope: true }))).status).toBe(401);
    });

    it('answers 403, not 422, to an invalid body with a token lacking the role', async () => {
      const { app } = createTestApp();
      expect((await app.request('/things', jsonRequest('POST', { nope: true }, support))).status).toBe(403);
    });

    it('answers 401 to a customer route with a bad body and an unknown customer', async () => {
      const { app } = createTestApp();
      const res = await app.request('/notes', { method: 'POST', headers: asCustomer(UNKNOWN_CUSTOMER), body: '' });
      expect(res.status).toBe(401);
    });
  });
});
