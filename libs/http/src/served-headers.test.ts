// The same promises as create-app.test.ts and security-headers.test.ts, over a real socket: served by
// @hono/node-server, headers every response carries go on the Node response before the handler runs and the
// body is read without a web Request (early-headers.ts, create-app.ts), so `app.request` alone would not see them.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT_SECURITY_POLICY, securityHeaders, STRICT_TRANSPORT_SECURITY } from './security-headers';
import { admin, createTestApp, EVERY_KIND_OF_ANSWER } from './test-support';

const servers: ServerType[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
});

async function served(app: { fetch: Hono['fetch'] }): Promise<string> {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', () => ready())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A POST whose body goes out in chunks, without a Content-Length (fetch always declares one for a string). */
function postChunked(url: string, chunks: string[]): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function expectBaseline(res: Response): void {
  expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
  expect(res.headers.get('Content-Security-Policy')).toBe(DEFAULT_CONTENT_SECURITY_POLICY);
  expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
}

describe('an app served by @hono/node-server', () => {
  let base: string;
  let limited: string;
  beforeAll(async () => {
    base = await served(createTestApp().app);
    limited = await served(createTestApp({ bodyLimitBytes: 1024 }).app);
  });

  it.each([
    ...EVERY_KIND_OF_ANSWER,
    ['a created resource', '/things', { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: '{"name":"served"}' }, 201],
  ] as [string, string, RequestInit, number][])('puts the security headers, a request id and a traceparent on %s', async (_what, path, init, status) => {
    const res = await fetch(`${base}${path}`, init);
    expect(res.status).toBe(status);
    expectBaseline(res);
    await res.arrayBuffer();
  });

  it('gives each header once, and a problem document the request id its header carries', async () => {
    const res = await fetch(`${base}/no-such-route`, { headers: { 'X-Request-Id': 'lb-1234.abc:def_9' } });
    expect(res.headers.get('X-Request-Id')).toBe('lb-1234.abc:def_9');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(((await res.json()) as { request_id: string }).request_id).toBe('lb-1234.abc:def_9');
  });

  it('continues an incoming traceparent', async () => {
    const res = await fetch(`${base}/`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    expect(res.headers.get('traceparent')).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/);
  });

  it('sends HSTS only behind https', async () => {
    expect((await fetch(`${base}/healthz`)).headers.get('Strict-Transport-Security')).toBeNull();
    const behindCloudRun = await fetch(`${base}/no-such-route`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(behindCloudRun.status).toBe(404);
    expect(behindCloudRun.headers.get('Strict-Transport-Security')).toBe(STRICT_TRANSPORT_SECURITY);
  });

  it("keeps a page's own policy and referrer policy", async () => {
    const { app: page } = createTestApp();
    page.get('/page', (c) => c.html('<p>hi</p>', 200, { 'Content-Security-Policy': "default-src 'self'", 'Referrer-Policy': 'same-origin' }));
    const url = await served(page);
    const res = await fetch(`${url}/page`);
    expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'self'");
    expect(res.headers.get('Referrer-Policy')).toBe('same-origin');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(await res.text()).toBe('<p>hi</p>');
  });

  it('keeps the policy a page sets, in an app with the security headers alone', async () => {
    const app = new Hono();
    app.use(securityHeaders());
    app.get('/page', (c) => c.html('<p>own</p>', 200, { 'Content-Security-Policy': "default-src 'self'" }));
    const res = await fetch(`${await served(app)}/page`);
    expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'self'");
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
  });

  it('reads a JSON body, and answers 413 for one over the limit, declared or chunked', async () => {
    const ok = await fetch(`${limited}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"short"}' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ text: 'short' });
    const declared = await fetch(`${limited}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(2000) }) });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('X-Content-Type-Options')).toBe('nosniff');
    await declared.arrayBuffer();
    const chunked = await postChunked(`${limited}/echo`, ['{"text":"', 'x'.repeat(600), 'x'.repeat(600), '"}']);
    expect(chunked.status).toBe(413);
    expect(chunked.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(chunked.body)).toMatchObject({ status: 413 });
    const chunkedOk = await postChunked(`${limited}/echo`, ['{"text":', '"fine"}']);
    expect(chunkedOk.status).toBe(200);
    expect(JSON.parse(chunkedOk.body)).toEqual({ text: 'fine' });
  });

  it('answers a request with an Idempotency-Key in full, and its repeat from what was stored', async () => {
    const init = { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json', 'Idempotency-Key': 'served-1' }, body: '{"name":"kept"}' };
    const first = await fetch(`${base}/things`, init);
    const again = await fetch(`${base}/things`, init);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(first.headers.get('Location')).toMatch(/^\/things\//);
    expect(again.headers.get('Location')).toBe(first.headers.get('Location'));
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    for (const res of [first, again]) expectBaseline(res);
    expect(await again.json()).toEqual(await first.json());
  });

  it('refuses a body that is not UTF-8 with 400', async () => {
    const res = await fetch(`${base}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]) });
    expect(res.status).toBe(400);
    await res.arrayBuffer();
  });
});
