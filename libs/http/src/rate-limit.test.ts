import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '@shop/observability';
import { createHttpApp } from './create-app';
import { defineRoute } from './openapi';
import { appendedClientAddress, type RateLimitOptions } from './rate-limit';
import { admin, ADMIN_TOKEN, asCustomer, CUSTOMER_A, CUSTOMER_B, jsonRequest, support, SUPPORT_TOKEN } from './test-support';

const LIMITS: RateLimitOptions = { requests: 3, staffRequests: 5, windowSeconds: 60, trustClientAddress: false };

/** An app with a customer write, a staff read, a public read and an exempt delivery route, counting what ran. */
function limitedApp(options: Partial<RateLimitOptions> = {}) {
  const known = new Set([CUSTOMER_A, CUSTOMER_B]);
  const { app } = createHttpApp({
    service: 'limited',
    version: 'test',
    logger: createLogger({ service: 'test', level: 'silent' }),
    identity: { adminToken: ADMIN_TOKEN, supportToken: SUPPORT_TOKEN, isKnownCustomer: async (id) => known.has(id) },
    readiness: {},
    rateLimit: { ...LIMITS, ...options },
  });
  const written: string[] = [];
  defineRoute(
    app,
    { method: 'post', path: '/notes', summary: 'Write', access: { customer: true }, body: z.object({ text: z.string() }), responses: { 201: { description: 'Written' } } },
    (c, { body }) => {
      written.push(body.text);
      return c.json({ ok: true }, 201);
    },
  );
  defineRoute(app, { method: 'get', path: '/reports', summary: 'Staff read', access: { staff: ['support'] }, responses: { 200: { description: 'ok' } } }, (c) =>
    c.json({ ok: true }),
  );
  defineRoute(app, { method: 'get', path: '/catalog', summary: 'Public read', responses: { 200: { description: 'ok' } } }, (c) => c.json({ ok: true }));
  defineRoute(app, { method: 'post', path: '/deliveries', summary: 'Exempt', rateLimited: false, responses: { 204: { description: 'ok' } } }, (c) =>
    c.body(null, 204),
  );
  const note = (customer: string, text = 'hi') => app.request('/notes', jsonRequest('POST', { text }, asCustomer(customer)));
  return { app, written, note };
}

async function statuses(n: number, send: () => Promise<Response> | Response): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).status);
  return out;
}

describe('the rate limit', () => {
  it('answers 429 with Retry-After and RateLimit headers once a customer is over the limit, and runs nothing', async () => {
    const { written, note } = limitedApp();
    expect(await statuses(3, () => note(CUSTOMER_A))).toEqual([201, 201, 201]);
    const refused = await note(CUSTOMER_A, 'one too many');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json');
    const retryAfter = Number(refused.headers.get('Retry-After'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(refused.headers.get('RateLimit-Limit')).toBe('3');
    expect(refused.headers.get('RateLimit-Remaining')).toBe('0');
    expect(refused.headers.get('RateLimit-Policy')).toBe('3;w=60');
    expect(await refused.json()).toMatchObject({ type: 'https://problems.shop.example/too-many-requests', status: 429, title: 'Too many requests' });
    expect(written).toEqual(['hi', 'hi', 'hi']);
  });

  it('refuses before the body is read: a malformed body over the limit is a 429, not a 400', async () => {
    const { app, note } = limitedApp({ requests: 1 });
    expect((await note(CUSTOMER_A)).status).toBe(201);
    const res = await app.request('/notes', { method: 'POST', headers: { 'Content-Type': 'application/json', ...asCustomer(CUSTOMER_A) }, body: '{"text": ' });
    expect(res.status).toBe(429);
  });

  it('tells each allowed response how much is left', async () => {
    const { note } = limitedApp();
    const res = await note(CUSTOMER_A);
    expect(res.status).toBe(201);
    expect({ limit: res.headers.get('RateLimit-Limit'), remaining: res.headers.get('RateLimit-Remaining') }).toEqual({ limit: '3', remaining: '2' });
  });

  it('leaves another customer unaffected', async () => {
    const { written, note } = limitedApp();
    await statuses(4, () => note(CUSTOMER_A, 'a'));
    expect(await statuses(3, () => note(CUSTOMER_B, 'b'))).toEqual([201, 201, 201]);
    expect(written.filter((t) => t === 'b')).toHaveLength(3);
  });

  it('keys staff by role, apart from customers and from each other, with their own allowance', async () => {
    const { app, note } = limitedApp();
    await statuses(4, () => note(CUSTOMER_A));
    expect(await statuses(6, () => app.request('/reports', { headers: support }))).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await app.request('/reports', { headers: admin })).status).toBe(200);
    expect((await note(CUSTOMER_B)).status).toBe(201);
  });

  it('does not count a request identity refused', async () => {
    const { app, note } = limitedApp({ requests: 1 });
    expect(await statuses(3, () => app.request('/notes', jsonRequest('POST', { text: 'x' })))).toEqual([401, 401, 401]);
    expect((await note(CUSTOMER_A)).status).toBe(201);
  });

  it('lets the customer in again once the window has passed', async () => {
    const { note } = limitedApp({ requests: 2, windowSeconds: 1 });
    expect(await statuses(3, () => note(CUSTOMER_A))).toEqual([201, 201, 429]);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await statuses(3, () => note(CUSTOMER_A))).toEqual([201, 201, 429]);
  });

  it('is off for customers with 0 and for staff with 0, each on its own', async () => {
    const customersOff = limitedApp({ requests: 0, staffRequests: 2 });
    expect((await statuses(20, () => customersOff.note(CUSTOMER_A))).every((s) => s === 201)).toBe(true);
    expect(await statuses(3, () => customersOff.app.request('/reports', { headers: support }))).toEqual([200, 200, 429]);
    const staffOff = limitedApp({ requests: 2, staffRequests: 0 });
    expect((await statuses(20, () => staffOff.app.request('/reports', { headers: support }))).every((s) => s === 200)).toBe(true);
    expect(await statuses(3, () => staffOff.note(CUSTOMER_A))).toEqual([201, 201, 429]);
  });

  it('does not limit public requests by address unless told to trust it', async () => {
    const { app } = limitedApp({ requests: 1 });
    const res = await statuses(5, () => app.request('/catalog', { headers: { 'X-Forwarded-For': '203.0.113.7' } }));
    expect(res.every((s) => s === 200)).toBe(true);
  });

  it('keys public requests by the address the proxy appended when trusted; what the client wrote before it changes nothing', async () => {
    const { app } = limitedApp({ requests: 2, trustClientAddress: true });
    const from = (xff: string) => () => app.request('/catalog', { headers: { 'X-Forwarded-For': xff } });
    expect(await statuses(2, from('203.0.113.7'))).toEqual([200, 200]);
    expect((await from('198.51.100.1, 203.0.113.7')()).status).toBe(429);
    expect((await from('10.9.9.9,203.0.113.7')()).status).toBe(429);
    expect(await statuses(2, from('203.0.113.7, 203.0.113.8'))).toEqual([200, 200]);
    // No address at all: nothing to key by, so not limited.
    expect((await statuses(5, () => app.request('/catalog'))).every((s) => s === 200)).toBe(true);
  });

  it('never limits health checks or a route that opts out, even by a trusted address', async () => {
    const { app } = limitedApp({ requests: 1, trustClientAddress: true });
    const headers = { 'X-Forwarded-For': '203.0.113.7' };
    for (const path of ['/healthz', '/readyz']) expect((await statuses(5, () => app.request(path, { headers }))).every((s) => s === 200)).toBe(true);
    expect((await statuses(5, () => app.request('/deliveries', { method: 'POST', headers }))).every((s) => s === 204)).toBe(true);
    expect(await statuses(2, () => app.request('/catalog', { headers }))).toEqual([200, 429]);
  });
});

describe('appendedClientAddress', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    [' , ', undefined],
    ['203.0.113.7', '203.0.113.7'],
    ['1.1.1.1, 203.0.113.7', '203.0.113.7'],
    ['1.1.1.1,2001:db8::1', '2001:db8::1'],
  ])('reads %j as %j', (header, address) => {
    expect(appendedClientAddress(header)).toBe(address);
  });
});
