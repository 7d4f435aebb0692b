import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_SECURITY_POLICY, securityHeaders, STRICT_TRANSPORT_SECURITY } from './security-headers';
import { admin, createTestApp, EVERY_KIND_OF_ANSWER, jsonRequest } from './test-support';

function expectBaseline(res: Response): void {
  expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
  expect(res.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
}

describe('securityHeaders', () => {
  const { app } = createTestApp();

  it.each(EVERY_KIND_OF_ANSWER)('puts nosniff, no-referrer and a restrictive CSP on %s', async (_what, path, init, status) => {
    const res = await app.request(path, init);
    expect(res.status).toBe(status);
    expectBaseline(res);
    expect(res.headers.get('Content-Security-Policy')).toBe(DEFAULT_CONTENT_SECURITY_POLICY);
  });

  it('puts them on a created resource too', async () => {
    const res = await app.request('/things', jsonRequest('POST', { name: 'headers' }, admin));
    expect(res.status).toBe(201);
    expectBaseline(res);
  });

  it('sends HSTS only when the request came over https', async () => {
    expect((await app.request('http://shop.test/healthz')).headers.get('Strict-Transport-Security')).toBeNull();
    expect((await app.request('https://shop.test/healthz')).headers.get('Strict-Transport-Security')).toBe(STRICT_TRANSPORT_SECURITY);
    const behindCloudRun = await app.request('http://shop.test/no-such-route', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(behindCloudRun.status).toBe(404);
    expect(behindCloudRun.headers.get('Strict-Transport-Security')).toBe(STRICT_TRANSPORT_SECURITY);
    expect((await app.request('https://shop.test/healthz', { headers: { 'X-Forwarded-Proto': 'http' } })).headers.get('Strict-Transport-Security')).toBeNull();
  });

  it('keeps a policy or referrer policy a page sets itself', async () => {
    const page = new Hono();
    page.use(securityHeaders());
    page.get('/page', (c) => c.html('<p>hi</p>', 200, { 'Content-Security-Policy': "default-src 'self'", 'Referrer-Policy': 'same-origin' }));
    const res = await page.request('/page');
    expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'self'");
    expect(res.headers.get('Referrer-Policy')).toBe('same-origin');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
  });
});
