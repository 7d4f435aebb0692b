// Invariant 7 for every input of every service: each write route that a service's /openapi.json documents gets
// the same bad bodies, and path and query parameters get text PostgreSQL cannot store. Every answer is a 4xx
// problem document (the status DESIGN.md's HTTP conventions give), and not one row of any service's tables
// changes. Routes found in the documents, not listed here, so a route added later is walked too.
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES, type ServiceName } from '@shop/contracts';
import { ADMIN } from './system';
import { asCustomer, expectJson, JOHN, post, stockedProduct, useSystem } from './system-kit';

const system = await useSystem();

/** The parts of a JSON Schema this test follows. */
interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  maximum?: number;
}

interface Operation {
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

interface Route {
  service: ServiceName;
  method: string;
  /** OpenAPI style, `/orders/{id}`. */
  template: string;
  operation: Operation;
}

const WRITES = ['post', 'put', 'patch', 'delete'];
const SKU = 'BAD-INPUT-1';

/** Every route of every service, from the services' own OpenAPI documents. */
async function documentedRoutes(): Promise<Route[]> {
  const routes: Route[] = [];
  for (const service of SERVICE_NAMES) {
    const doc = await expectJson<{ paths: Record<string, Record<string, Operation>> }>(system.request(service, '/openapi.json'), 200);
    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) routes.push({ service, method, template, operation });
    }
  }
  return routes;
}

/** Who may call the route: a customer when customers may (John, who owns the order below), else the admin. */
function identityFor(route: Route): Record<string, string> {
  const schemes = (route.operation.security ?? []).flatMap((s) => Object.keys(s));
  if (schemes.includes('customerId')) return asCustomer(JOHN);
  if (schemes.includes('bearer')) return { ...ADMIN };
  return {};
}

/** A path with every parameter filled with something real, so a request reaches the body reader and beyond. */
function pathFor(route: Route, ids: Record<string, string>, override?: string): string {
  return route.template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (override !== undefined) return override;
    // Keyed by the path's first segment where a name means different things (`/orders/{id}`, `/admin/…/{id}`).
    const id = ids[`${route.template.split('/')[1]}.${name}`] ?? ids[name];
    if (id === undefined) throw new Error(`no value for {${name}} of ${route.method.toUpperCase()} ${route.service} ${route.template}`);
    return encodeURIComponent(id);
  });
}

type Path = (string | number)[];

/** The path of every leaf (string, number, boolean, null) of `value`. */
function leafPaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
  return [path];
}

function leafAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], value);
}

/** A copy of `value` with the leaf at `path` replaced. */
function withLeaf(value: unknown, path: Path, leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [key, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[key!] = withLeaf(copy[key!], rest, leaf);
  return copy;
}

/**
 * One body per leaf that `pick` selects, that leaf set to `leaf`; every other field stays valid, so the one
 * changed field is what the answer is about. With no such leaf, every leaf in turn; with no leaf at all (a
 * route that takes `{}`), a member holding it.
 */
function eachLeaf(sample: unknown, pick: (leaf: unknown) => boolean, leaf: (old: unknown) => unknown): unknown[] {
  const paths = leafPaths(sample).filter((p) => p.length > 0);
  const picked = paths.filter((p) => pick(leafAt(sample, p)));
  if (!paths.length) return [{ note: leaf('') }];
  return (picked.length ? picked : paths).map((p) => withLeaf(sample, p, leaf(leafAt(sample, p))));
}

const isString = (v: unknown) => typeof v === 'string';
const isNumber = (v: unknown) => typeof v === 'number';
const json = (values: unknown[]) => values.map((v) => JSON.stringify(v));

/** Bodies that are bad in one way, the Content-Type they are sent with, and the status DESIGN.md asks for. */
interface BadBody {
  name: string;
  status: number;
  contentType: string;
  bodies: (sample: unknown, schema: JsonSchema) => (string | Uint8Array<ArrayBuffer>)[];
}

/** The `maximum` the OpenAPI document gives the field at `path`; a bounded field must document its bound. */
function maximumAt(schema: JsonSchema, path: Path): number {
  let at: JsonSchema | undefined = schema;
  for (const key of path) {
    at = at?.anyOf?.find((s) => s.properties || s.items) ?? at;
    at = typeof key === 'number' ? at?.items : at?.properties?.[key];
  }
  at = at?.anyOf?.find((s) => s.maximum !== undefined) ?? at;
  if (at?.maximum === undefined) throw new Error(`the OpenAPI document gives ${path.join('.')} no maximum`);
  return at.maximum;
}

/** One body per number field, that field one above the largest value it documents. */
function eachAboveMaximum(sample: unknown, schema: JsonSchema): unknown[] {
  return leafPaths(sample)
    .filter((p) => isNumber(leafAt(sample, p)))
    .map((p) => withLeaf(sample, p, maximumAt(schema, p) + 1));
}

const JSON_TYPE = 'application/json';
const encoder = new TextEncoder();
const DEEP = `${'['.repeat(5_000)}0${']'.repeat(5_000)}`;

const BAD_BODIES: BadBody[] = [
  { name: 'JSON sent as text/plain', status: 415, contentType: 'text/plain;charset=UTF-8', bodies: (s) => json([s]) },
  { name: 'a form', status: 415, contentType: 'application/x-www-form-urlencoded', bodies: () => ['name=x&quantity=1'] },
  { name: 'JSON in another charset', status: 415, contentType: 'application/json; charset=iso-8859-1', bodies: (s) => json([s]) },
  { name: 'truncated JSON', status: 400, contentType: JSON_TYPE, bodies: (s) => [JSON.stringify(s).slice(0, -1)] },
  {
    name: 'invalid UTF-8 in a text field',
    status: 400,
    contentType: JSON_TYPE,
    // A marker string stands where the raw bytes go: JSON.stringify cannot write bytes that are not UTF-8.
    bodies: (s) =>
      json(eachLeaf(s, isString, () => '@@BYTES@@')).map((text) => {
        const [head, tail] = text.split('@@BYTES@@');
        return new Uint8Array([...encoder.encode(head), 0xff, 0xed, 0xa0, 0x80, ...encoder.encode(tail)]);
      }),
  },
  { name: 'U+0000 in a text field', status: 422, contentType: JSON_TYPE, bodies: (s) => json(eachLeaf(s, isString, (v) => `${String(v)}\u0000`)) },
  { name: 'a lone surrogate in a text field', status: 422, contentType: JSON_TYPE, bodies: (s) => json(eachLeaf(s, isString, (v) => `${String(v)}\ud800`)) },
  { name: "a number one above the field's maximum", status: 422, contentType: JSON_TYPE, bodies: (s, schema) => json(eachAboveMaximum(s, schema)) },
  { name: 'a number beyond a JS Date', status: 422, contentType: JSON_TYPE, bodies: (s) => json(eachLeaf(s, isNumber, () => 8.64e15 + 1)) },
  { name: 'a number beyond any integer', status: 422, contentType: JSON_TYPE, bodies: (s) => json(eachLeaf(s, isNumber, () => 1e20)) },
  {
    name: 'a number JSON.parse makes Infinity',
    status: 422,
    contentType: JSON_TYPE,
    bodies: (s) => json(eachLeaf(s, isNumber, () => '@@HUGE@@')).map((text) => text.replace('"@@HUGE@@"', '1e400')),
  },
  { name: 'a fractional number', status: 422, contentType: JSON_TYPE, bodies: (s) => json(eachLeaf(s, isNumber, (v) => (typeof v === 'number' ? v + 0.5 : 1.5))) },
  {
    name: '5,000 levels of nesting in a field',
    status: 422,
    contentType: JSON_TYPE,
    bodies: (s) => json(eachLeaf(s, () => true, () => '@@DEEP@@')).map((text) => text.replace('"@@DEEP@@"', DEEP)),
  },
  { name: 'a field of the wrong type', status: 422, contentType: JSON_TYPE, bodies: (s) => json(eachLeaf(s, () => true, (v) => (typeof v === 'string' ? 12 : v === null ? [] : 'x'))) },
  { name: 'an array instead of an object', status: 422, contentType: JSON_TYPE, bodies: (s) => json([[s]]) },
  { name: 'an extra field', status: 422, contentType: JSON_TYPE, bodies: (s) => json([{ ...(s as object), unexpected_field: 1 }]) },
];

/**
 * One fingerprint per table of every service's schema: what a request could have written. No table is left
 * out: the transport's own bookkeeping (pg-boss's jobs and schedules) lives in its own schema, outside the
 * services', and on a quiet system nothing in theirs changes by itself (no reservation, retry or retention
 * sweep is due on a database this young).
 */
async function everyTable(): Promise<Record<string, string>> {
  const { rows: tables } = await system.db.pool.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema = ANY($1) ORDER BY 1, 2`,
    [SERVICE_NAMES],
  );
  expect(tables.length).toBeGreaterThan(20);
  const union = tables
    .map(
      ({ schema, name }) =>
        `SELECT '${schema}.${name}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') AS f FROM "${schema}"."${name}" x`,
    )
    .join(' UNION ALL ');
  const { rows } = await system.db.pool.query<{ t: string; f: string }>(union);
  return Object.fromEntries(rows.map((r) => [r.t, r.f]));
}

/**
 * What a refused request must answer: the status, a problem document, its `status` the same. Soft: one run
 * lists every route and body that answers wrongly, and the tables are still compared afterwards.
 */
async function expectProblemAnswer(res: Response, status: number | 'any 4xx', what: string): Promise<void> {
  const text = await res.text();
  const seen = JSON.stringify({ what, status: res.status, contentType: res.headers.get('Content-Type'), body: text.slice(0, 300) });
  if (status === 'any 4xx') expect.soft(res.status >= 400 && res.status < 500, seen).toBe(true);
  else expect.soft(res.status, seen).toBe(status);
  expect.soft(res.headers.get('Content-Type'), seen).toMatch(/^application\/problem\+json/);
  if (res.headers.get('Content-Type')?.startsWith('application/problem+json')) expect.soft((JSON.parse(text) as { status: unknown }).status, seen).toBe(res.status);
}

// John has an order and a line in his next cart, so every path parameter can name something real.
await stockedProduct(system, SKU, 50, 1200);
await expectJson(system.request('cart', '/cart/items', post({ product_sku: SKU, quantity: 1 }, asCustomer(JOHN))), 200);
await expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JOHN))), 202);
await system.quiesce();
const { order_id: orderId } = await expectJson<{ order_id: string | null }>(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200);
if (!orderId) throw new Error("John's checkout made no order");
await expectJson(system.request('cart', '/cart/items', post({ product_sku: SKU, quantity: 1 }, asCustomer(JOHN))), 200);
await system.quiesce();

/** Real ids for every path parameter the documents name. */
const ids: Record<string, string> = {
  sku: SKU,
  product_sku: SKU,
  'customers.id': JOHN,
  customerId: JOHN,
  'orders.id': orderId,
  request_id: randomUUID(),
  'notifications.id': randomUUID(),
  'messages.id': randomUUID(),
  // No message is dead-lettered on a quiet system; the id only has to be well-formed: bodies are read first.
  'admin.id': '1',
};
/** A browser's Web Push keys: an uncompressed P-256 public key and a 16-byte auth secret. */
const ecdh = createECDH('prime256v1');
ecdh.generateKeys();
const pushKeys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
const endpoint = `https://fcm.googleapis.com/fcm/send/${randomUUID()}`;
const address = { name: 'John Smith', line1: 'Main St 1', line2: null, city: 'Berlin', postal_code: '10115', country: 'DE' };

/**
 * A valid body for every write route that takes one (the last test proves each is accepted): each bad body is
 * one of these with one thing wrong, so the answer is about that one thing.
 */
const VALID_BODIES: Record<string, unknown> = {
  'POST product /products': { sku: 'BAD-INPUT-NEW', name: 'New', description: 'd', price_cents: 100, currency: 'EUR', active: true },
  'PUT product /products/{sku}': { name: 'Renamed', description: 'd', price_cents: 1300, currency: 'EUR', active: true },
  'POST inventory /inventory': { sku: 'BAD-INPUT-NEW', available: 5 },
  'PUT inventory /inventory/{sku}': { sku: SKU, available: 40 },
  'POST cart /cart/items': { product_sku: SKU, quantity: 2 },
  'POST order /orders': { items: [{ product_sku: SKU, quantity: 1 }] },
  'PUT order /orders/{id}': { shipping_address: address, note: 'Leave at the door' },
  'POST customer /customers': { name: 'Bad Input', email: 'bad-input@example.com' },
  'PUT customer /customers/{id}': { name: 'John Smith Jr', email: 'john.jr@example.com' },
  'POST notification /notifications': { customer_id: JOHN, subject: 'Hello', text: 'A message' },
  'POST push /subscriptions': { endpoint, expirationTime: Date.parse('2030-01-01T00:00:00Z'), keys: pushKeys },
  'DELETE push /subscriptions': { endpoint },
  ...Object.fromEntries(SERVICE_NAMES.map((s) => [`POST ${s} /admin/dead-letters/replay`, { topic: 'stock.changed', since: '2026-01-01T00:00:00Z' }])),
};

const routes = await documentedRoutes();
const writes = routes.filter((r) => WRITES.includes(r.method));
const nameOf = (route: Route) => `${route.method.toUpperCase()} ${route.service} ${route.template}`;

describe('bad input on every route of every service (DESIGN.md, invariant 7)', () => {
  it('finds the write routes of every service in their OpenAPI documents', () => {
    const found = new Set(writes.map(nameOf));
    for (const expected of [
      'POST product /products',
      'PUT product /products/{sku}',
      'DELETE product /products/{sku}',
      'POST inventory /inventory',
      'PUT inventory /inventory/{sku}',
      'DELETE inventory /inventory/{sku}',
      'POST cart /cart/items',
      'DELETE cart /cart/items/{product_sku}',
      'POST cart /cart/convert-to-order',
      'POST order /orders',
      'PUT order /orders/{id}',
      'POST order /orders/{id}/cancel',
      'DELETE order /orders/{id}',
      'POST customer /customers',
      'PUT customer /customers/{id}',
      'DELETE customer /customers/{id}',
      'POST notification /notifications',
      'POST push /subscriptions',
      'DELETE push /subscriptions',
      ...SERVICE_NAMES.map((s) => `POST ${s} /admin/dead-letters/{id}/replay`),
      ...SERVICE_NAMES.map((s) => `POST ${s} /admin/dead-letters/replay`),
    ]) {
      expect(found, expected).toContain(expected);
    }
    // POST /pubsub/push takes Pub/Sub's envelope, and exists only with EVENT_TRANSPORT=pubsub: not here.
    expect([...found].filter((r) => r.includes('/pubsub/push'))).toEqual([]);
    // A route with a body needs a valid one here to build its bad ones from.
    expect(writes.filter((r) => r.operation.requestBody).map(nameOf).sort()).toEqual(Object.keys(VALID_BODIES).sort());
  });

  it('refuses every bad body on every write route with the status DESIGN.md gives, writing nothing', async () => {
    await system.quiesce();
    const before = await everyTable();
    for (const route of writes) {
      // A route without a body takes none or {}: its bad bodies are built on {}.
      const sample = route.operation.requestBody ? VALID_BODIES[nameOf(route)] : {};
      const schema = route.operation.requestBody?.content[JSON_TYPE]?.schema ?? {};
      for (const bad of BAD_BODIES) {
        for (const body of bad.bodies(sample, schema)) {
          const headers: Record<string, string> = { ...identityFor(route), 'Content-Type': bad.contentType, 'Idempotency-Key': randomUUID() };
          const res = await system.request(route.service, pathFor(route, ids), { method: route.method.toUpperCase(), headers, body });
          const shown = typeof body === 'string' ? body.slice(0, 120) : `${body.byteLength} bytes`;
          await expectProblemAnswer(res, bad.status, `${nameOf(route)}: ${bad.name}: ${shown}`);
        }
      }
    }
    await system.quiesce();
    expect(await everyTable()).toEqual(before);
  });

  it('refuses path segments and query values PostgreSQL cannot store, on every route, never with a 5xx', async () => {
    await system.quiesce();
    const before = await everyTable();
    for (const route of routes) {
      const what = `${route.method.toUpperCase()} ${route.service} ${route.template}`;
      const init = { method: route.method.toUpperCase(), headers: identityFor(route) };
      if (route.template.includes('{')) {
        for (const segment of ['%00', 'a%00b', '%ED%A0%80', '%C0%AF']) {
          await expectProblemAnswer(await system.request(route.service, pathFor(route, ids, segment), init), 'any 4xx', `${what} with ${segment}`);
        }
      }
      for (const { name } of (route.operation.parameters ?? []).filter((p) => p.in === 'query')) {
        const path = `${pathFor(route, ids)}?${encodeURIComponent(name)}=a%00b`;
        await expectProblemAnswer(await system.request(route.service, path, init), 422, `${what}?${name}=a%00b`);
      }
    }
    await system.quiesce();
    expect(await everyTable()).toEqual(before);
  });

  // The support console's forms are not JSON by contract (DESIGN.md: a form field `token`); they are not in
  // the OpenAPI documents, so they are named here.
  it('refuses bad forms on POST /console/session and POST /console/notifications, writing nothing', async () => {
    await system.quiesce();
    const before = await everyTable();
    const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    const status = async (path: string, init: RequestInit) => (await system.request('notification', path, init)).status;
    expect(await status('/console/session', form({ token: 'a\u0000b' }))).toBe(401);
    expect(await status('/console/session', { ...form({}), headers: { 'Content-Type': JSON_TYPE }, body: '{"token":"x"}' })).toBe(415);
    // (A lone surrogate cannot reach a form: URL encoding turns it into U+FFFD on the client's side.)
    for (const subject of ['a\u0000b', '']) {
      expect(await status('/console/notifications', form({ customer_id: JOHN, subject, text: 'hello' }, ADMIN))).toBe(422);
    }
    expect(await status('/console/notifications', form({ customer_id: JOHN, subject: 'hi', text: 'hello', extra: '1' }, ADMIN))).toBe(422);
    await system.quiesce();
    expect(await everyTable()).toEqual(before);
  });

  it('is made from valid bodies: each is accepted as it is (so each bad one is wrong in one thing only)', async () => {
    for (const [name, body] of Object.entries(VALID_BODIES)) {
      const route = writes.find((r) => nameOf(r) === name)!;
      const res = await system.request(route.service, pathFor(route, ids), { ...post(body, identityFor(route)), method: route.method.toUpperCase() });
      const seen = { name, status: res.status, body: (await res.text()).slice(0, 300) };
      expect(res.status >= 200 && res.status < 300, JSON.stringify(seen)).toBe(true);
    }
  });
});
