import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceName } from '@shop/contracts';
import type { Database } from '@shop/db';
import { testAppContext, type TestAppContext } from './app-context';
import { useTestDatabase } from '@shop/testing';

interface BuiltApp {
  app: { request(path: string, init?: RequestInit): Response | Promise<Response> };
  setDraining(draining: boolean): void;
}

/**
 * The endpoints DESIGN.md asks of every service, checked the same way for each: `GET /`, `/healthz`,
 * `/readyz`, `/openapi.json`, `/docs` (with its assets, from the service itself), problem documents for unknown
 * routes, and the security headers on every one of these responses.
 */
export function describeServiceBasics(service: ServiceName, createApp: (context: TestAppContext) => BuiltApp): void {
  describe(`${service} service basics`, () => {
    let built: BuiltApp;
    let db: Database;
    beforeAll(async () => {
      db = await useTestDatabase({ poolMax: 2 });
      built = createApp(testAppContext(service, db));
    });

    it('hands its identity settings to createServiceApp: jwt mode without its settings refuses to build', () => {
      const context = testAppContext(service, db);
      // Were the config not passed through, the app would build in header mode and trust X-Customer-Id.
      expect(() => createApp({ ...context, config: { ...context.config, IDENTITY_MODE: 'jwt' } })).toThrow(/IDENTITY_MODE=jwt needs/);
    });

    it('answers GET / with its status, name and version', async () => {
      const res = await built.app.request('/');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', service, version: 'test' });
      expect(res.headers.get('X-Request-Id')).toBeTruthy();
    });

    it('answers /healthz and /readyz with 200 while the database answers', async () => {
      expect((await built.app.request('/healthz')).status).toBe(200);
      const ready = await built.app.request('/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', transport: 'ok' } });
    });

    it('answers /readyz with a 503 problem while draining', async () => {
      built.setDraining(true);
      try {
        const res = await built.app.request('/readyz');
        expect(res.status).toBe(503);
        expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      } finally {
        built.setDraining(false);
      }
    });

    it('serves an OpenAPI 3.1 document and a browsable reference', async () => {
      const doc = await built.app.request('/openapi.json');
      expect(doc.status).toBe(200);
      expect(await doc.json()).toMatchObject({ openapi: '3.1.0', info: { title: `${service} service` } });
      const docs = await built.app.request('/docs');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('Content-Type')).toMatch(/text\/html/);
      expect(docs.headers.get('Content-Security-Policy')).not.toMatch(/https?:|\*/);
      const html = await docs.text();
      expect(html).toContain('/openapi.json');
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(assets.length).toBeGreaterThanOrEqual(3);
      for (const asset of assets) {
        expect(asset, 'served by the service itself').toMatch(/^\/docs\//);
        expect((await built.app.request(asset)).status, asset).toBe(200);
      }
    });

    it('puts the security headers on every response, problems included', async () => {
      const responses = await Promise.all([
        built.app.request('/'),
        built.app.request('/openapi.json'),
        built.app.request('/no-such-route'),
        built.app.request('/healthz', { method: 'DELETE' }),
      ]);
      for (const res of responses) {
        expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
        expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
        expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'none'; frame-ancestors 'none'");
        expect(res.headers.get('Strict-Transport-Security')).toBeNull();
      }
      const https = await built.app.request('/healthz', { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(https.headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d+/);
    });

    it('answers an unknown route with a 404 problem document', async () => {
      const res = await built.app.request('/no-such-route');
      expect(res.status).toBe(404);
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 404, title: 'Not found', instance: '/no-such-route' });
    });

    it('answers a wrong method on a known path with 405 and Allow', async () => {
      const res = await built.app.request('/healthz', { method: 'DELETE' });
      expect(res.status).toBe(405);
      expect(res.headers.get('Allow')).toContain('GET');
      expect(await res.json()).toMatchObject({ status: 405 });
    });
  });
}
