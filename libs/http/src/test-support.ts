// For this library's own unit tests only (not exported from index.ts): a tiny app on `createHttpApp`, an
// in-memory idempotency store, and a logger whose lines the tests can read.
import { Writable } from 'node:stream';
import { z } from 'zod';
import { createLogger, type Logger, type ServiceMetrics } from '@shop/observability';
import { createHttpApp, type HttpApp, type ReadinessCheck } from './create-app';
import { fail } from './errors';
import type { IdempotencyStoreLike } from './idempotency';
import type { IdTokenVerifier } from './jwt-identity';
import { registerMetricsRoute } from './metrics.routes';
import { defineRoute } from './openapi';
import { encodeCursor, pageQuerySchema } from './pagination';

export const ADMIN_TOKEN = 'admin-token-0123456789';
export const SUPPORT_TOKEN = 'support-token-0123456789';
export const CUSTOMER_A = '11111111-1111-4111-8111-111111111111';
export const CUSTOMER_B = '22222222-2222-4222-8222-222222222222';
export const UNKNOWN_CUSTOMER = '33333333-3333-4333-8333-333333333333';

export const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` } as const;
export const support = { Authorization: `Bearer ${SUPPORT_TOKEN}` } as const;
export const asCustomer = (id: string) => ({ 'X-Customer-Id': id });

/** One request of every kind of answer the test app gives: what, path, init, status. */
export const EVERY_KIND_OF_ANSWER: [string, string, RequestInit, number][] = [
  ['a JSON answer', '/healthz', {}, 200],
  ['a 404 problem', '/no-such-route', {}, 404],
  ['a 405 problem', '/healthz', { method: 'DELETE' }, 405],
  ['a 400 problem', '/things', { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: '{' }, 400],
  ['a 401 problem', '/things', {}, 401],
  ['a 500 problem', '/crash', {}, 500],
];

/** JSON request init for `app.request`. */
export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

type Answer = { status: number; headers: Record<string, string>; body: string };

/**
 * `IdempotencyStoreLike` in a Map, with the same semantics as `@shop/db`'s table: a key is held while its work
 * runs, and an answer is kept only when the work asks for it (there is no transaction to undo anything else).
 */
export class MemoryIdempotencyStore implements IdempotencyStoreLike {
  readonly entries = new Map<string, { requestHash: string; response: Answer }>();
  readonly running = new Set<string>();

  async runOnce<T>(scope: string, key: string, requestHash: string, work: () => Promise<{ value: T; keep: Answer | undefined }>) {
    const id = `${scope}\n${key}`;
    if (this.running.has(id)) return { kind: 'in_progress' as const };
    const entry = this.entries.get(id);
    if (entry) return { kind: 'replay' as const, requestHash: entry.requestHash, response: entry.response };
    this.running.add(id);
    try {
      const { value, keep } = await work();
      if (keep) this.entries.set(id, { requestHash, response: keep });
      return { kind: 'ran' as const, value };
    } finally {
      this.running.delete(id);
    }
  }
}

/** A logger whose JSON lines land in `lines`. */
export function capturingLogger(options: { projectId?: string } = {}): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  // pino writes synchronously to a plain stream's write(), so lines are readable as soon as a call returns.
  return { logger: createLogger({ service: 'test', level: 'debug', projectId: options.projectId, destination }), lines };
}

/** A deferred: a promise the test settles by hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const ThingBody = z.strictObject({ name: z.string().min(1).max(50), size: z.number().int().positive().optional() });

export interface TestAppOptions {
  readiness?: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  store?: IdempotencyStoreLike;
  logger?: Logger;
  /** Verifies customers' ID tokens (jwt mode); header mode without it. */
  verifyIdToken?: IdTokenVerifier;
  /** Records request durations and serves them at `GET /metrics`. */
  metrics?: ServiceMetrics;
}

export interface TestApp extends HttpApp {
  store: MemoryIdempotencyStore | IdempotencyStoreLike;
  /** How often the creating handler ran. */
  created: () => number;
  /** The next POST /things waits for this, when set. */
  gate: { current: Promise<void> | undefined };
  /** The next N POST /things fail with an unexpected error. */
  failNext: { count: number };
}

/**
 * A small service: `/things` (support lists, admin creates idempotently, customer or support reads one),
 * `/notes` (customers create idempotently), `/mine` (customers only) and routes that fail on purpose.
 */
export function createTestApp(options: TestAppOptions = {}): TestApp {
  const known = new Set([CUSTOMER_A, CUSTOMER_B]);
  const store = options.store ?? new MemoryIdempotencyStore();
  const http = createHttpApp({
    service: 'things',
    version: '1.2.3',
    logger: options.logger ?? createLogger({ service: 'test', level: 'silent' }),
    identity: { adminToken: ADMIN_TOKEN, supportToken: SUPPORT_TOKEN, isKnownCustomer: async (id) => known.has(id), verifyIdToken: options.verifyIdToken },
    idempotencyStore: store,
    readiness: options.readiness ?? { database: async () => undefined },
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const { app } = http;
  if (options.metrics) registerMetricsRoute(app, options.metrics);
  let created = 0;
  const gate: TestApp['gate'] = { current: undefined };
  const failNext = { count: 0 };
  const names = new Set<string>();

  defineRoute(
    app,
    {
      method: 'get',
      path: '/things',
      summary: 'List things',
      access: { staff: ['support'] },
      query: pageQuerySchema,
      responses: { 200: { description: 'A page' } },
    },
    (c, { query }) => c.json({ items: [], next_cursor: query.cursor ? null : encodeCursor({ limit: query.limit }), limit: query.limit }),
  );
  defineRoute(
    app,
    {
      method: 'post',
      path: '/things',
      summary: 'Create a thing',
      access: { staff: ['admin'] },
      idempotent: true,
      body: ThingBody,
      responses: { 201: { description: 'Created' }, 409: { description: 'Name taken' } },
    },
    async (c, { body }) => {
      created++;
      if (gate.current) await gate.current;
      if (failNext.count > 0) {
        failNext.count--;
        throw new Error('connection to 10.0.0.5:5432 refused (password=hunter2)');
      }
      if (names.has(body.name)) throw fail.conflict(`A thing named ${body.name} exists.`);
      names.add(body.name);
      const id = crypto.randomUUID();
      c.header('Location', `/things/${id}`);
      c.header('X-Not-Replayed', 'yes');
      return c.json({ id, name: body.name, n: created }, 201);
    },
  );
  defineRoute(
    app,
    {
      method: 'get',
      path: '/things/:id',
      summary: 'Read a thing',
      access: { customer: true, staff: ['support'] },
      params: z.object({ id: z.uuid() }),
      responses: { 200: { description: 'The thing' } },
    },
    (c, { params }) => c.json({ id: params.id, principal: c.get('principal') }),
  );
  defineRoute(
    app,
    {
      method: 'delete',
      path: '/things/:id',
      summary: 'Delete a thing',
      access: { staff: ['admin'] },
      responses: { 204: { description: 'Deleted' } },
    },
    (c) => c.body(null, 204),
  );
  defineRoute(
    app,
    {
      method: 'post',
      path: '/notes',
      summary: 'Create a note',
      access: { customer: true },
      idempotent: true,
      body: z.object({ text: z.string() }),
      responses: { 201: { description: 'Created' } },
    },
    (c) => {
      created++;
      return c.json({ note_id: crypto.randomUUID(), principal: c.get('principal') }, 201);
    },
  );
  defineRoute(
    app,
    { method: 'get', path: '/mine', summary: 'Customers only', access: { customer: true }, responses: { 200: { description: 'ok' } } },
    (c) => c.json({ principal: c.get('principal') }),
  );
  defineRoute(
    app,
    { method: 'get', path: '/crash', summary: 'Fails unexpectedly', responses: {} },
    () => {
      throw new Error('SELECT secret FROM vault failed at /srv/app/db.ts:42');
    },
  );
  defineRoute(
    app,
    { method: 'get', path: '/crash-string', summary: 'Throws a non-Error', responses: {} },
    () => {
      // A deliberately odd throw: a string is what some libraries reject with.
      throw 'raw string from a dependency';
    },
  );
  defineRoute(
    app,
    {
      method: 'post',
      path: '/echo',
      summary: 'Public echo',
      body: z.object({ text: z.string().max(10), items: z.array(z.object({ qty: z.number().int().min(1) })).optional() }),
      responses: { 200: { description: 'The body' } },
    },
    (c, { body }) => c.json(body),
  );

  return { ...http, store, created: () => created, gate, failNext };
}
