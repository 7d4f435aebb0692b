import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger, ServiceMetrics } from '@shop/observability';
import {
  childTraceContext,
  currentSpanTrace,
  describeCurrentSpan,
  formatTraceparent,
  parseCloudTraceContext,
  parseTraceparent,
  runWithLogContext,
} from '@shop/observability';
import type { AppEnv, IdentityConfig } from './context';
import { registerDocs } from './docs';
import { isServedByNode, withResponseHeaders } from './early-headers';
import { DomainError } from './errors';
import type { IdempotencyStoreLike } from './idempotency';
import { openApiDocument } from './openapi';
import { classify, problemResponse } from './problem';
import { useRateLimit, type RateLimitOptions } from './rate-limit';
import { measureRequests, routeOf, UNMATCHED_ROUTE } from './request-metrics';
import { securityHeaders } from './security-headers';

/** A readiness dependency: resolves when usable, throws when not. */
export type ReadinessCheck = () => Promise<void>;

export interface HttpAppOptions {
  service: string;
  version: string;
  logger: Logger;
  identity: IdentityConfig;
  idempotencyStore?: IdempotencyStoreLike;
  /** Checked by `/readyz` (the database, later the transport). */
  readiness: Record<string, ReadinessCheck>;
  bodyLimitBytes?: number;
  description?: string;
  /** A per-principal rate limit on every route `defineRoute` registers (not health); none when omitted. */
  rateLimit?: RateLimitOptions;
  /** Where request durations are recorded (`http_server_request_duration_seconds`); none when omitted. */
  metrics?: ServiceMetrics;
}

/** The app plus a switch that makes `/readyz` fail while the process drains on shutdown. */
export interface HttpApp {
  app: Hono<AppEnv>;
  setDraining(draining: boolean): void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Liveness and readiness probes: not access-logged while they pass. */
const PROBES = new Set(['/healthz', '/readyz']);

/**
 * The app every service starts from: security headers and the request id and trace context on every response,
 * an access log, a body size limit, health endpoints, the OpenAPI document and its browsable reference, and RFC 9457
 * problem documents for every failure, unknown route (404) and wrong method (405).
 * Routes are added by the service afterwards, through `defineRoute`.
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const app = new Hono<AppEnv>();
  let draining = false;
  // Before everything else, so that every answer is measured, a rate limit's 429 included.
  if (options.metrics) app.use(measureRequests(options.metrics));
  if (options.rateLimit) useRateLimit(app, options.rateLimit);

  // First, so that its headers reach every response, whatever a later middleware or handler answers.
  app.use(securityHeaders());
  app.use(async function requestContext(c, next) {
    const incoming = c.req.header('X-Request-Id');
    // Honour a caller's id only when it is harmless to echo into logs and headers; otherwise make our own.
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', id);
    const parent = parseTraceparent(c.req.header('traceparent')) ?? parseCloudTraceContext(c.req.header('X-Cloud-Trace-Context'));
    // With tracing on, the HTTP instrumentation's server span already continues the caller's trace: that span is ours.
    const trace = currentSpanTrace() ?? childTraceContext(parent);
    const logger = options.logger.child({});
    c.set('logger', logger);
    c.set('identity', options.identity);
    c.set('idempotencyStore', options.idempotencyStore);
    await runWithLogContext({ requestId: id, trace }, async () => {
      const started = performance.now();
      await withResponseHeaders(c, next, [
        ['X-Request-Id', id],
        ['traceparent', formatTraceparent(trace)],
      ]);
      const latency = performance.now() - started;
      const status = c.res.status;
      const route = routeOf(c);
      // The instrumentation names the span by method only: the router knows the route (a 404 matched none).
      if (route !== UNMATCHED_ROUTE) describeCurrentSpan(`${c.req.method} ${route}`, { 'http.route': route });
      // Cloud Run probes every instance every few seconds: a passing probe would bury the requests. A failing one is news.
      if (PROBES.has(c.req.path) && status < 400) return;
      // Cloud Logging's httpRequest shape, so the request shows up as a request in the log viewer.
      options.logger[status >= 500 ? 'error' : 'info'](
        {
          httpRequest: {
            requestMethod: c.req.method,
            requestUrl: c.req.path,
            status,
            latency: `${(latency / 1000).toFixed(4)}s`,
            userAgent: c.req.header('User-Agent'),
          },
        },
        `${c.req.method} ${c.req.path} ${status}`,
      );
    });
  });
  const maxBodyBytes = options.bodyLimitBytes ?? 1024 * 1024;
  const tooLarge = () => new DomainError('payload_too_large', `The request body exceeds ${maxBodyBytes} bytes.`);
  const streamedBodyLimit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  app.use(async function bodySizeLimit(c, next) {
    // Hono's bodyLimit asks the request for its body stream first, which makes node-server build a whole web
    // Request (and stream the body through it) for every request, GETs included. Over HTTP/1.1 a declared
    // length needs no stream, and a request with neither a length nor chunks has no body (RFC 9112 §6.3): only
    // a chunked body goes through it, counted as it streams (as does any request under `app.request`).
    if (!isServedByNode(c) || c.req.header('Transfer-Encoding') !== undefined) return streamedBodyLimit(c, next);
    const declared = c.req.header('Content-Length');
    if (declared !== undefined && Number(declared) > maxBodyBytes) throw tooLarge();
    return next();
  });

  app.get('/', (c) => c.json({ status: 'ok', service: options.service, version: options.version }));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {};
    let ready = !draining;
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          checks[name] = 'ok';
        } catch (err) {
          ready = false;
          checks[name] = 'unavailable';
          c.get('logger').warn({ err, check: name }, `readiness check ${name} failed`);
        }
      }),
    );
    if (ready) return c.json({ status: 'ready', checks });
    throw new DomainError('unavailable', draining ? 'The service is shutting down.' : 'A dependency is unavailable.', {
      extensions: { checks },
    });
  });
  app.get('/openapi.json', (c) =>
    c.json(
      openApiDocument(
        app,
        { title: `${options.service} service`, version: options.version, description: options.description },
        options.identity.verifyIdToken ? 'jwt' : 'header',
      ),
    ),
  );
  registerDocs(app, { title: `${options.service} service API`, openApiUrl: '/openapi.json' });

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    // A path that only looks like a route (a parameter's own pattern refused it) is unknown, not a 405.
    if (allowed.length && !allowed.includes(c.req.method)) {
      return problemFor(c, new DomainError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}.`, {
        headers: { Allow: allowed.join(', ') },
      }));
    }
    return problemFor(c, new DomainError('not_found', `No route matches ${c.req.method} ${c.req.path}.`));
  });
  app.onError((err, c) => {
    const { kind } = classify(err);
    if (kind === 'internal') c.get('logger')?.error({ err }, 'unhandled error');
    else if (kind === 'unavailable' && !(err instanceof DomainError)) c.get('logger')?.warn({ err: String(err) }, 'database unavailable; answered 503');
    return problemFor(c, err);
  });

  return { app, setDraining: (d) => void (draining = d) };
}

function problemFor(c: Context<AppEnv>, err: unknown): Response {
  return problemResponse(err, c.req.path, c.get('requestId'));
}

/** Methods registered for a path: a path that exists under another method answers 405, not 404. */
function allowedMethods(app: Hono<AppEnv>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    // Hono is strict about trailing slashes, so `/customers/` is another (unknown) path: no `/?` here.
    const pattern = new RegExp(`^${route.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+').replace(/\*/g, '.*')}$`);
    if (pattern.test(path)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
