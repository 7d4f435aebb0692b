import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AppEnv } from './context';
import { idempotent } from './idempotency';
import { requireAccess, type Access } from './identity';
import { parseParams, parseQuery, readJson, refuseNonJsonBody } from './input';
import { limitRate } from './rate-limit';

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to JSON; problem documents and streams say otherwise. */
  contentType?: string;
}

/** One route: what it takes, who may call it, what it answers. Drives both the handler and the docs. */
export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, P extends z.ZodType | undefined> {
  method: Method;
  /** Hono style, `/customers/:id`. */
  path: string;
  summary: string;
  tags?: string[];
  /** Omit for public routes. */
  access?: Access;
  /** Honour `Idempotency-Key` (creating POSTs). */
  idempotent?: boolean;
  /** `false` exempts the route from the app's rate limit (event deliveries and their recovery). */
  rateLimited?: boolean;
  body?: B;
  /**
   * The handler reads the body itself (a body that is not JSON by contract, such as Pub/Sub's push). Without
   * it, a writing route with no `body` refuses any body but none or `{}`.
   */
  readsOwnBody?: boolean;
  query?: Q;
  params?: P;
  responses: Record<number, ResponseSpec>;
}

type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;

export interface RouteInput<B, Q, P> {
  body: Infer<B>;
  query: Infer<Q>;
  params: Infer<P>;
}

interface Operation {
  method: Method;
  path: string;
  spec: RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
}

const registries = new WeakMap<object, Operation[]>();

/**
 * Registers a route on `app` and records it for `/openapi.json`. Middleware order is the contract's:
 * identity first, then the idempotency key, then the path, query and body are validated and handed in.
 */
export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(
  app: Hono<AppEnv>,
  spec: RouteSpec<B, Q, P>,
  handler: (c: Context<AppEnv>, input: RouteInput<B, Q, P>) => Response | Promise<Response>,
): void {
  const operations = registries.get(app) ?? [];
  registries.set(app, operations);
  operations.push({ method: spec.method, path: spec.path, spec: spec as Operation['spec'] });
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  if (spec.access) middleware.push(requireAccess(spec.access));
  // Counted once the caller is known (their own allowance) and before the body is read or anything is written.
  if (spec.rateLimited !== false) middleware.push(limitRate(app));
  const routeHandler: MiddlewareHandler<AppEnv> = async function routeHandler(c) {
    try {
      const params = (spec.params ? parseParams(c, spec.params) : undefined) as Infer<P>;
      const query = (spec.query ? parseQuery(c, spec.query) : undefined) as Infer<Q>;
      const body = (spec.body ? await readJson(c, spec.body) : undefined) as Infer<B>;
      if (!spec.body && !spec.readsOwnBody && spec.method !== 'get') await refuseNonJsonBody(c);
      return await handler(c, { body, query, params });
    } catch (err) {
      // Hono hands only `Error`s to `onError`; anything else thrown would escape as a bare 500 without a
      // problem document, request id or access log line.
      if (err instanceof Error) throw err;
      throw new Error(`non-Error thrown: ${String(err)}`, { cause: err });
    }
  };
  // Hono's typed overloads cannot follow a runtime list of handlers; the untyped form is the same call.
  const on = app.on.bind(app) as (method: string, path: string, ...handlers: MiddlewareHandler<AppEnv>[]) => unknown;
  on(spec.method.toUpperCase(), spec.path, ...middleware, spec.idempotent ? idempotent(routeHandler) : routeHandler);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'query' | 'path'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } } },
    },
  },
};

/** The OpenAPI 3.1 document for every route `defineRoute` registered on `app`. */
export function openApiDocument(
  app: Hono<AppEnv>,
  info: { title: string; version: string; description?: string },
  customerIdentity: 'header' | 'jwt' = 'header',
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, spec } of registries.get(app) ?? []) {
    // `:id`, `:id?` and `:id{[0-9]+}` are all `{id}` in OpenAPI.
    const oasPath = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, '{$1}');
    const security = !spec.access
      ? undefined
      : [...(spec.access.customer ? [{ customerId: [] }] : []), ...(spec.access.staff?.length ? [{ bearer: [] }] : [])];
    const pathParams = spec.params
      ? parameters(spec.params, 'path')
      : [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const headerParams = spec.idempotent
      ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }]
      : [];
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const contentType = r.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
      const schema = r.schema ? jsonSchema(r.schema, 'output') : Number(status) >= 400 ? { $ref: '#/components/schemas/Problem' } : undefined;
      responses[status] = { description: r.description, ...(schema ? { content: { [contentType]: { schema } } } : {}) };
    }
    if (method !== 'get' && !spec.readsOwnBody) {
      responses['415'] ??= {
        description: 'A body sent as anything but application/json',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    responses['default'] = { description: 'Problem document', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    (paths[oasPath] ??= {})[method] = {
      summary: spec.summary,
      ...(spec.tags ? { tags: spec.tags } : {}),
      ...(security ? { security } : {}),
      parameters: [...pathParams, ...parameters(spec.query, 'query'), ...headerParams],
      ...(spec.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_TOKEN or SUPPORT_API_TOKEN' },
        // DESIGN.md "Identity in production": in jwt mode the services verify an ID token and ignore the header.
        customerId:
          customerIdentity === 'jwt'
            ? { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'the shopper\'s ID token (IDENTITY_MODE=jwt)' }
            : { type: 'apiKey', in: 'header', name: 'X-Customer-Id', description: 'set by the gateway (IDENTITY_MODE=header)' },
      },
    },
  };
}
