import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdTokenIssuer, type TestIdTokenIssuer } from '@shop/testing';
import { createIdTokenVerifier, type IdTokenOptions } from './jwt-identity';
import { admin, asCustomer, createTestApp, CUSTOMER_A, CUSTOMER_B, support, UNKNOWN_CUSTOMER } from './test-support';

const THING = '0b7f3c1e-7c5a-4a4e-9d3b-2f1a6f1c9e11';

let issuer: TestIdTokenIssuer;

beforeAll(async () => {
  issuer = await startIdTokenIssuer();
});
afterAll(() => issuer.close());

/** The test app in jwt mode, verifying against `issuer` (a fresh key cache each time). */
function jwtApp(options: Partial<IdTokenOptions> = {}) {
  const verifyIdToken = createIdTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl, claim: 'customer_id', ...options });
  return createTestApp({ verifyIdToken }).app;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function problemOf(res: Response): Promise<{ status: number; type: string; detail: string; contentType: string | null }> {
  const body = (await res.json()) as { type: string; detail: string };
  return { status: res.status, type: body.type, detail: body.detail, contentType: res.headers.get('Content-Type') };
}

describe('requireAccess in jwt mode (IDENTITY_MODE=jwt)', () => {
  it('takes the customer from a valid ID token', async () => {
    const res = await jwtApp().request('/mine', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_A })) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ principal: { kind: 'customer', customerId: CUSTOMER_A } });
  });

  it('reads the customer from the configured claim', async () => {
    const app = jwtApp({ claim: 'https://shop.example/customer' });
    const token = await issuer.sign({ 'https://shop.example/customer': CUSTOMER_B.toUpperCase(), customer_id: CUSTOMER_A });
    expect(await (await app.request('/mine', { headers: bearer(token) })).json()).toEqual({ principal: { kind: 'customer', customerId: CUSTOMER_B } });
  });

  it('lets the token\'s customer win over an X-Customer-Id naming another', async () => {
    const token = await issuer.sign({ customer_id: CUSTOMER_A });
    const res = await jwtApp().request('/mine', { headers: { ...bearer(token), ...asCustomer(CUSTOMER_B) } });
    expect(await res.json()).toEqual({ principal: { kind: 'customer', customerId: CUSTOMER_A } });
  });

  it('answers 401 to X-Customer-Id alone: the header is ignored', async () => {
    const res = await jwtApp().request('/mine', { headers: asCustomer(CUSTOMER_A) });
    expect(await problemOf(res)).toMatchObject({ status: 401, contentType: 'application/problem+json', detail: 'A bearer ID token is required.' });
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ['an expired token', () => issuer.sign({ customer_id: CUSTOMER_A }, { expiresIn: -120 }), /expired/],
    ['a token without exp', () => issuer.sign({ customer_id: CUSTOMER_A }, { withoutExpiry: true }), /"exp" claim/],
    ['a token for another audience', () => issuer.sign({ customer_id: CUSTOMER_A }, { audience: 'another-service' }), /"aud" claim/],
    ['a token of another issuer', () => issuer.sign({ customer_id: CUSTOMER_A }, { issuer: 'https://evil.example/' }), /"iss" claim/],
    [
      'a forged signature (another key with the published kid)',
      async () => issuer.sign({ customer_id: CUSTOMER_A }, { key: await issuer.newKey(issuer.keys[0]!.kid) }),
      /signature/,
    ],
    ['a token without the customer claim', () => issuer.sign({ sub: CUSTOMER_A }), /"customer_id" claim must be a customer id/],
    ['a customer claim that is not a UUID', () => issuer.sign({ customer_id: 'customer-1' }), /"customer_id" claim must be a customer id/],
    ['a customer claim that is not a string', () => issuer.sign({ customer_id: 42 }), /"customer_id" claim must be a customer id/],
    ['a token of a customer nobody knows', () => issuer.sign({ customer_id: UNKNOWN_CUSTOMER }), /Unknown customer/],
    ['a token that is not a JWT', async () => 'not-a-jwt', /malformed/],
  ])('answers 401 to %s', async (_label, token, detail) => {
    const res = await jwtApp().request('/mine', { headers: bearer(await token()) });
    expect(await problemOf(res)).toMatchObject({ status: 401, type: 'https://problems.shop.example/unauthorized', detail: expect.stringMatching(detail) });
  });

  it('accepts a token within the clock tolerance, refuses one just past it', async () => {
    const app = jwtApp();
    expect((await app.request('/mine', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_A }, { expiresIn: -10 })) })).status).toBe(200);
    expect((await app.request('/mine', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_A }, { expiresIn: -40 })) })).status).toBe(401);
  });

  it('refuses alg "none" (an unsigned token)', async () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 300;
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: issuer.issuer, aud: issuer.audience, exp, customer_id: CUSTOMER_A })}.`;
    const res = await jwtApp().request('/mine', { headers: bearer(unsigned) });
    expect(await problemOf(res)).toMatchObject({ status: 401, detail: expect.stringMatching(/malformed|algorithm/) });
  });

  it('refuses a token signed with HMAC over the published public key (algorithm confusion)', async () => {
    const { SignJWT } = await import('jose');
    const secret = new TextEncoder().encode(JSON.stringify(issuer.keys[0]!.jwk));
    const token = await new SignJWT({ customer_id: CUSTOMER_A })
      .setProtectedHeader({ alg: 'HS256', kid: issuer.keys[0]!.kid })
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setExpirationTime('5m')
      .sign(secret);
    expect(await problemOf(await jwtApp().request('/mine', { headers: bearer(token) }))).toMatchObject({ status: 401, detail: expect.stringMatching(/algorithm/) });
  });

  it('answers 401 to a token sent without the Bearer scheme', async () => {
    const token = await issuer.sign({ customer_id: CUSTOMER_A });
    expect((await jwtApp().request('/mine', { headers: { Authorization: token } })).status).toBe(401);
  });

  describe('the key set', () => {
    it('is fetched once and kept for later tokens', async () => {
      const app = jwtApp();
      const before = issuer.fetches();
      for (const customer of [CUSTOMER_A, CUSTOMER_B, CUSTOMER_A]) {
        expect((await app.request('/mine', { headers: bearer(await issuer.sign({ customer_id: customer })) })).status).toBe(200);
      }
      expect(issuer.fetches() - before).toBe(1);
    });

    it('is fetched again when a token names a key published since (rotation)', async () => {
      const app = jwtApp({ cooldownMs: 0 });
      expect((await app.request('/mine', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_A })) })).status).toBe(200);
      const before = issuer.fetches();
      const rotated = await issuer.rotate();
      const res = await app.request('/mine', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_B }, { key: rotated })) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ principal: { kind: 'customer', customerId: CUSTOMER_B } });
      expect(issuer.fetches() - before).toBe(1);
    });

    it('is not fetched again for every unknown kid within the cooldown', async () => {
      const app = jwtApp();
      expect((await app.request('/mine', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_A })) })).status).toBe(200);
      const before = issuer.fetches();
      for (let i = 0; i < 3; i++) {
        const stranger = await issuer.newKey();
        expect((await app.request('/mine', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_A }, { key: stranger })) })).status).toBe(401);
      }
      expect(issuer.fetches() - before).toBe(0);
    });

    it('answers 503, not 401 or 500, while the key set cannot be fetched, and recovers', async () => {
      const app = jwtApp();
      const token = await issuer.sign({ customer_id: CUSTOMER_A });
      issuer.failing = true;
      try {
        const res = await app.request('/mine', { headers: bearer(token) });
        expect(await problemOf(res)).toMatchObject({ status: 503, type: 'https://problems.shop.example/unavailable', contentType: 'application/problem+json' });
        expect(res.headers.get('Retry-After')).toBe('5');
      } finally {
        issuer.failing = false;
      }
      expect((await app.request('/mine', { headers: bearer(token) })).status).toBe(200);
    });

    it('answers 503 when nothing listens at the key set URL', async () => {
      const gone = await startIdTokenIssuer();
      const token = await gone.sign({ customer_id: CUSTOMER_A });
      await gone.close();
      const verifyIdToken = createIdTokenVerifier({ issuer: gone.issuer, audience: gone.audience, jwksUrl: gone.jwksUrl, claim: 'customer_id' });
      const res = await createTestApp({ verifyIdToken }).app.request('/mine', { headers: bearer(token) });
      expect(res.status).toBe(503);
    });
  });

  describe('staff', () => {
    it('keep their bearer tokens on staff routes and on routes open to customers and staff', async () => {
      const app = jwtApp();
      expect((await app.request('/things', { headers: support })).status).toBe(200);
      expect(await (await app.request(`/things/${THING}`, { headers: admin })).json()).toMatchObject({ principal: { kind: 'staff', role: 'admin' } });
      expect(await (await app.request(`/things/${THING}`, { headers: support })).json()).toMatchObject({ principal: { kind: 'staff', role: 'support' } });
    });

    it('answer 403 where their role is not enough', async () => {
      const res = await jwtApp().request('/things', { method: 'POST', headers: { ...support, 'Content-Type': 'application/json' }, body: '{"name":"x"}' });
      expect(res.status).toBe(403);
    });

    it('are not customers: a staff token on a customer-only route is 401', async () => {
      expect((await jwtApp().request('/mine', { headers: { ...admin, ...asCustomer(CUSTOMER_A) } })).status).toBe(401);
    });

    it('lets a customer\'s ID token into a route open to customers and staff', async () => {
      const res = await jwtApp().request(`/things/${THING}`, { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_B })) });
      expect(await res.json()).toMatchObject({ principal: { kind: 'customer', customerId: CUSTOMER_B } });
    });

    it('refuse a customer\'s ID token on a staff-only route', async () => {
      expect((await jwtApp().request('/things', { headers: bearer(await issuer.sign({ customer_id: CUSTOMER_A })) })).status).toBe(401);
    });
  });
});
