import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpApp } from './create-app';
import { createLogger } from '@shop/observability';
import { defineRoute, openApiDocument } from './openapi';
import { admin, createTestApp } from './test-support';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      Record<string, unknown> & {
        parameters: { name: string; in: string; required: boolean }[];
        responses: Record<string, { content?: Record<string, unknown> }>;
      }
    >
  >;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> };
};

function document(): Doc {
  const { app } = createTestApp();
  return openApiDocument(app, { title: 't', version: '1' }) as Doc;
}

describe('openApiDocument', () => {
  it('documents every defined route under OpenAPI path syntax', () => {
    const doc = document();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/things', '/things/{id}', '/notes', '/mine']));
    expect(Object.keys(doc.paths['/things']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/things/{id}']!).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths).some((p) => p.includes(':'))).toBe(false);
  });

  it('describes path parameters, from the schema or from the path', () => {
    const doc = document();
    expect(doc.paths['/things/{id}']!['get']!.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', format: 'uuid' }) }),
    ]);
    expect(doc.paths['/things/{id}']!['delete']!.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
  });

  it('describes query parameters, with limit optional', () => {
    const doc = document();
    const params = doc.paths['/things']!['get']!.parameters;
    expect(params).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'limit', in: 'query', required: false }),
        expect.objectContaining({ name: 'cursor', in: 'query', required: false }),
      ]),
    );
  });

  it('includes the request body schema and the Idempotency-Key header of a creating POST', () => {
    const post = document().paths['/things']!['post']!;
    expect(post['requestBody']).toMatchObject({
      required: true,
      content: {
        'application/json': {
          schema: { type: 'object', properties: { name: { type: 'string' }, size: { type: 'integer' } }, required: ['name'], additionalProperties: false },
        },
      },
    });
    expect(post.parameters).toEqual([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false })]);
  });

  it('declares the security schemes and which routes need them', () => {
    const doc = document();
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      customerId: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Customer-Id' }),
    });
    expect(doc.paths['/things']!['post']!['security']).toEqual([{ bearer: [] }]);
    expect(doc.paths['/mine']!['get']!['security']).toEqual([{ customerId: [] }]);
    expect(doc.paths['/things/{id}']!['get']!['security']).toEqual([{ customerId: [] }, { bearer: [] }]);
    expect(doc.paths['/echo']!['post']!['security']).toBeUndefined();
  });

  it('documents the customer as a bearer ID token in jwt mode, where X-Customer-Id is ignored', () => {
    const { app } = createTestApp();
    const doc = openApiDocument(app, { title: 't', version: '1' }, 'jwt') as Doc;
    expect(doc.components.securitySchemes['customerId']).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }));
    expect(doc.components.securitySchemes['customerId']).not.toHaveProperty('name');
  });

  it('documents problem responses as application/problem+json', () => {
    const post = document().paths['/things']!['post']!;
    expect(post.responses['409']!.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    expect(post.responses['default']!.content).toHaveProperty('application/problem+json');
  });

  it('documents 415 on every writing route, where a body not sent as JSON is refused', () => {
    const doc = document();
    expect(doc.paths['/things']!['post']!.responses['415']!.content).toHaveProperty('application/problem+json');
    expect(doc.paths['/things/{id}']!['delete']!.responses).toHaveProperty('415');
    expect(doc.paths['/things/{id}']!['get']!.responses).not.toHaveProperty('415');
  });

  it('converts constrained and optional Hono parameters too', () => {
    const { app } = createHttpApp({
      service: 's',
      version: '1',
      logger: createLogger({ service: 's', level: 'silent' }),
      identity: { adminToken: 'a'.repeat(16), supportToken: 'b'.repeat(16), isKnownCustomer: async () => false },
      readiness: {},
    });
    defineRoute(app, { method: 'get', path: '/files/:name{[a-z]+\\.txt}', summary: 'f', responses: {} }, (c) => c.text('x'));
    defineRoute(app, { method: 'get', path: '/pages/:page?', summary: 'p', params: z.object({ page: z.string().optional() }), responses: {} }, (c) =>
      c.text('x'),
    );
    const doc = openApiDocument(app, { title: 't', version: '1' }) as Doc;
    expect(Object.keys(doc.paths).sort()).toEqual(['/files/{name}', '/pages/{page}']);
  });

  it('is what GET /openapi.json serves', async () => {
    const { app } = createTestApp();
    const served = await (await app.request('/openapi.json')).json();
    expect(served).toEqual(openApiDocument(app, { title: 'things service', version: '1.2.3' }));
  });
});

describe('defineRoute', () => {
  const del = (body: string | undefined, contentType = 'application/json') =>
    createTestApp().app.request('/things/1', { method: 'DELETE', headers: { ...admin, 'Content-Type': contentType }, ...(body === undefined ? {} : { body }) });

  it('lets a writing route without a body take none, or {}', async () => {
    expect((await del(undefined)).status).toBe(204);
    expect((await del('{}')).status).toBe(204);
  });

  it('refuses any other body on a writing route without one, before the handler runs', async () => {
    expect((await del('{"id": 2}')).status).toBe(422);
    expect((await del('{"id":')).status).toBe(400);
    expect((await del('{}', 'text/plain')).status).toBe(415);
  });

  it('leaves the body to a route that reads its own', async () => {
    const { app } = createTestApp();
    defineRoute(app, { method: 'post', path: '/raw', summary: 'r', readsOwnBody: true, responses: {} }, async (c) => c.text(await c.req.text()));
    expect(await (await app.request('/raw', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'any bytes' })).text()).toBe('any bytes');
  });
});
