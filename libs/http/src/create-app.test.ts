import { describe, expect, it } from 'vitest';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { admin, capturingLogger, createTestApp, jsonRequest, support } from './test-support';

async function expectProblem(res: Response, status: number, kind: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe(PROBLEM_CONTENT_TYPE);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `https://problems.shop.example/${kind}`, status });
  expect(typeof body['title']).toBe('string');
  expect(typeof body['detail']).toBe('string');
  expect(body['request_id']).toBe(res.headers.get('X-Request-Id'));
  return body;
}

describe('createHttpApp', () => {
  describe('built-in endpoints', () => {
    it('answers GET / with status, service and version', async () => {
      const { app } = createTestApp();
      const res = await app.request('/');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', service: 'things', version: '1.2.3' });
    });

    it('answers GET /healthz with 200 whatever the dependencies say', async () => {
      const { app } = createTestApp({ readiness: { database: () => Promise.reject(new Error('down')) } });
      expect((await app.request('/healthz')).status).toBe(200);
    });

    it('serves the OpenAPI document and the browsable reference', async () => {
      const { app } = createTestApp();
      const doc = await app.request('/openapi.json');
      expect(doc.status).toBe(200);
      expect(await doc.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'things service', version: '1.2.3' } });
      const docs = await app.request('/docs');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('Content-Type')).toMatch(/text\/html/);
      expect(await docs.text()).toContain('/openapi.json');
    });
  });

  describe('GET /readyz', () => {
    it('answers 200 when every check passes', async () => {
      const { app } = createTestApp({ readiness: { database: async () => undefined, transport: async () => undefined } });
      const res = await app.request('/readyz');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'ok', transport: 'ok' } });
    });

    it('answers 503 naming the failing check, without its error message', async () => {
      const { app } = createTestApp({
        readiness: { database: async () => undefined, transport: () => Promise.reject(new Error('ECONNREFUSED 10.1.2.3')) },
      });
      const res = await app.request('/readyz');
      const body = await expectProblem(res, 503, 'unavailable');
      expect(body['checks']).toEqual({ database: 'ok', transport: 'unavailable' });
      expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    });

    it('answers 503 while draining, even with healthy dependencies', async () => {
      const http = createTestApp();
      http.setDraining(true);
      const body = await expectProblem(await http.app.request('/readyz'), 503, 'unavailable');
      expect(body['detail']).toMatch(/shutting down/);
      http.setDraining(false);
      expect((await http.app.request('/readyz')).status).toBe(200);
    });
  });

  describe('request id and trace context', () => {
    it('gives every response an X-Request-Id, a new one per request', async () => {
      const { app } = createTestApp();
      const a = await app.request('/');
      const b = await app.request('/nope');
      expect(a.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(b.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.headers.get('X-Request-Id')).not.toBe(b.headers.get('X-Request-Id'));
    });

    it('echoes a well-formed incoming X-Request-Id, also in problem documents', async () => {
      const { app } = createTestApp();
      const res = await app.request('/nope', { headers: { 'X-Request-Id': 'lb-1234.abc:def_9' } });
      expect(res.headers.get('X-Request-Id')).toBe('lb-1234.abc:def_9');
      expect(((await res.json()) as { request_id: string }).request_id).toBe('lb-1234.abc:def_9');
    });

    it.each([
      ['one with spaces and quotes', 'evil" id'],
      ['one too long to log', 'a'.repeat(200)],
      ['one with a header-splitting attempt', 'abc%0d%0aSet-Cookie:x'],
    ])('replaces %s with a fresh id', async (_label, incoming) => {
      const { app } = createTestApp();
      const res = await app.request('/', { headers: { 'X-Request-Id': incoming } });
      expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f]{8}-[0-9a-f-]{27}$/);
    });

    it('continues an incoming traceparent with the same trace id and a new span', async () => {
      const { app } = createTestApp();
      const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const res = await app.request('/', { headers: { traceparent: parent } });
      const traceparent = res.headers.get('traceparent');
      expect(traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
      expect(traceparent).not.toBe(parent);
    });

    it('continues a legacy X-Cloud-Trace-Context', async () => {
      const { app } = createTestApp();
      const res = await app.request('/', { headers: { 'X-Cloud-Trace-Context': '105445aa7843bc8bf206b12000100000/1;o=1' } });
      expect(res.headers.get('traceparent')).toMatch(/^00-105445aa7843bc8bf206b12000100000-[0-9a-f]{16}-01$/);
    });

    it('starts a new trace when the incoming traceparent is malformed', async () => {
      const { app } = createTestApp();
      const res = await app.request('/', { headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
      const traceparent = res.headers.get('traceparent') ?? '';
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(traceparent).not.toContain('00000000000000000000000000000000');
    });

    it('writes an access log line carrying the request id and the trace', async () => {
      const { logger, lines } = capturingLogger({ projectId: 'shop-prod' });
      const { app } = createTestApp({ logger });
      await app.request('/things', { headers: { ...support, 'X-Request-Id': 'req-42', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
      const access = lines.find((l) => l['httpRequest']);
      expect(access).toMatchObject({
        severity: 'INFO',
        message: 'GET /things 200',
        request_id: 'req-42',
        'logging.googleapis.com/trace': 'projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736',
        httpRequest: { requestMethod: 'GET', requestUrl: '/things', status: 200 },
      });
    });

    it('writes no access log line for passing health probes, but does for a failing one and for other requests', async () => {
      const { logger, lines } = capturingLogger();
      let databaseUp = true;
      const { app } = createTestApp({
        logger,
        readiness: {
          database: async () => {
            if (!databaseUp) throw new Error('connection refused');
          },
        },
      });
      expect((await app.request('/healthz')).status).toBe(200);
      expect((await app.request('/readyz')).status).toBe(200);
      databaseUp = false;
      expect((await app.request('/readyz')).status).toBe(503);
      await app.request('/');
      expect(lines.filter((l) => l['httpRequest']).map((l) => l['message'])).toEqual(['GET /readyz 503', 'GET / 200']);
    });
  });

  describe('problem documents', () => {
    it('answers 404 for an unknown route', async () => {
      const { app } = createTestApp();
      const res = await app.request('/no/such/route');
      const body = await expectProblem(res, 404, 'not-found');
      expect(body['instance']).toBe('/no/such/route');
    });

    it('answers 405 with Allow for a known path under another method', async () => {
      const { app } = createTestApp();
      const res = await app.request('/things', { method: 'PATCH' });
      await expectProblem(res, 405, 'method-not-allowed');
      expect(res.headers.get('Allow')).toBe('GET, HEAD, POST');
    });

    it('answers 405 for a parameterised path, listing its methods', async () => {
      const { app } = createTestApp();
      const res = await app.request('/things/0b7f3c1e-7c5a-4a4e-9d3b-2f1a6f1c9e11', { method: 'PUT' });
      await expectProblem(res, 405, 'method-not-allowed');
      expect(res.headers.get('Allow')).toBe('DELETE, GET, HEAD');
    });

    it('answers 404, not 405, for a trailing slash the router does not know', async () => {
      const { app } = createTestApp();
      await expectProblem(await app.request('/things/', { headers: support }), 404, 'not-found');
    });

    it('answers 400 for a body that is not JSON', async () => {
      const { app } = createTestApp();
      const res = await app.request('/echo', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text": ' });
      const body = await expectProblem(res, 400, 'bad-request');
      expect(body['detail']).toMatch(/not valid JSON/);
    });

    it('answers 400 for an empty body', async () => {
      const { app } = createTestApp();
      const res = await app.request('/echo', { method: 'POST', headers: { 'Content-Type': 'application/json' } });
      const body = await expectProblem(res, 400, 'bad-request');
      expect(body['detail']).toMatch(/empty/);
    });

    it('answers 422 listing every field problem', async () => {
      const { app } = createTestApp();
      const res = await app.request('/echo', jsonRequest('POST', { text: 'far too long here', items: [{ qty: 0 }, { qty: 'x' }] }));
      const body = await expectProblem(res, 422, 'validation');
      expect(body['errors']).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'text' }),
          expect.objectContaining({ field: 'items.0.qty' }),
          expect.objectContaining({ field: 'items.1.qty' }),
        ]),
      );
    });

    it('names each unknown member of a strict body in errors[]', async () => {
      const { app } = createTestApp();
      const res = await app.request('/things', jsonRequest('POST', { name: 'x', colour: 'red', shape: 'round' }, admin));
      const body = await expectProblem(res, 422, 'validation');
      expect(body['errors']).toEqual([
        expect.objectContaining({ field: 'colour', code: 'unrecognized_keys' }),
        expect.objectContaining({ field: 'shape', code: 'unrecognized_keys' }),
      ]);
    });

    it('answers 422 for a bad query parameter', async () => {
      const { app } = createTestApp();
      const res = await app.request('/things?limit=0', { headers: support });
      const body = await expectProblem(res, 422, 'validation');
      expect(body['errors']).toEqual([expect.objectContaining({ field: 'limit' })]);
    });

    it('answers 404 for a path parameter that cannot name a resource', async () => {
      const { app } = createTestApp();
      await expectProblem(await app.request('/things/not-a-uuid', { headers: support }), 404, 'not-found');
    });

    it('answers 409 for a conflict the domain raises', async () => {
      const { app } = createTestApp();
      expect((await app.request('/things', jsonRequest('POST', { name: 'dup' }, admin))).status).toBe(201);
      const body = await expectProblem(await app.request('/things', jsonRequest('POST', { name: 'dup' }, admin)), 409, 'conflict');
      expect(body['detail']).toBe('A thing named dup exists.');
    });

    it('answers 500 with a generic detail and logs the cause', async () => {
      const { logger, lines } = capturingLogger();
      const { app } = createTestApp({ logger });
      const res = await app.request('/crash');
      const body = await expectProblem(res, 500, 'internal');
      expect(body['detail']).toBe('An unexpected error occurred.');
      const text = JSON.stringify(body);
      expect(text).not.toContain('vault');
      expect(text).not.toContain('db.ts');
      const logged = lines.find((l) => l['message'] === 'unhandled error');
      expect(logged).toMatchObject({ severity: 'ERROR', request_id: body['request_id'] });
      expect(JSON.stringify(logged)).toContain('SELECT secret FROM vault');
    });

    it('answers a problem document even when a handler throws something that is not an Error', async () => {
      const { app } = createTestApp();
      const res = await app.request('/crash-string');
      const body = await expectProblem(res, 500, 'internal');
      expect(JSON.stringify(body)).not.toContain('raw string');
    });

    it('answers 413 for a body over the limit, declared by Content-Length', async () => {
      const { app } = createTestApp({ bodyLimitBytes: 1024 });
      const body = JSON.stringify({ text: 'x'.repeat(2000) });
      const res = await app.request('/echo', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
        body,
      });
      await expectProblem(res, 413, 'payload-too-large');
    });

    it('answers 413 for a streamed body over the limit', async () => {
      const { app } = createTestApp({ bodyLimitBytes: 1024 });
      const chunk = new TextEncoder().encode('x'.repeat(600));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(chunk);
          controller.enqueue(chunk);
          controller.close();
        },
      });
      const res = await app.request('/echo', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await expectProblem(res, 413, 'payload-too-large');
    });

    it('accepts a body just under the limit', async () => {
      const { app } = createTestApp({ bodyLimitBytes: 1024 });
      const res = await app.request('/echo', jsonRequest('POST', { text: 'short' }));
      expect(res.status).toBe(200);
    });
  });
});
