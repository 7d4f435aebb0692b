import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { ServiceMetrics } from '@shop/observability';
import type { AppEnv } from './context';

/** The label of a request no route matched (404, 405): raw paths would make one time series per path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The registered pattern of the route that answered (`/cart/items/:product_sku`), never the raw path: the
 * metrics' `route` label and the server span's name. The
 * handler that ran last tells which route that was; when it is an app-wide middleware (a rate limit's 429, or
 * the not-found handler), the first route registered for this method and path, if any.
 */
export function routeOf(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  const last = routes[c.req.routeIndex];
  if (last && last.method !== 'ALL') return last.path;
  return routes.find((r) => r.method !== 'ALL')?.path ?? UNMATCHED_ROUTE;
}

/** Records every request's duration in `http_server_request_duration_seconds`, by method, route and status. */
export function measureRequests(metrics: ServiceMetrics): MiddlewareHandler<AppEnv> {
  return async function measureRequestsMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      // Errors were turned into responses by onError already: c.res is what the client gets.
      metrics.httpRequest({ method: c.req.method, route: routeOf(c), status: c.res.status, seconds: (performance.now() - started) / 1000 });
    }
  };
}
