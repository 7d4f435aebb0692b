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
 * `/readyz`, `/openapi.json`, `/docs`, and problem documents for unknown routes.
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
      expect(await docs.text()).toContain('/openapi.json');
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
