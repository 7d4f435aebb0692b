import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html, isSameSiteRequest, securityHeaders } from '@shop/http/web';
import type { Logger } from '@shop/observability';
import type { IdentityMode } from './identity';
import { registerAccountRoutes } from './routes/account.routes';
import { registerAssetRoutes } from './routes/assets.routes';
import { registerCartRoutes } from './routes/cart.routes';
import { registerCatalogRoutes } from './routes/catalog.routes';
import { registerNotificationRoutes } from './routes/notifications.routes';
import { registerOrderRoutes } from './routes/orders.routes';
import { failurePage, render, type Storefront } from './routes/web';
import type { ServiceClient } from './service-client';
import { shopApi } from './shop-api';
import { alertBox } from './views/layout';

export interface StorefrontDeps {
  services: ServiceClient;
  logger: Logger;
  version: string;
  identityMode: IdentityMode;
  /** IDENTITY_JWT_CLAIM: the ID token claim that names the customer. */
  jwtClaim?: string;
  sessionSecret: string;
  sessionMaxAgeSeconds?: number;
  /** Lists the customers to sign in as (header mode). */
  supportToken?: string | undefined;
  /** Creates a customer to sign in as (header mode). */
  adminToken?: string | undefined;
  /** Header mode: shoppers sign in by choosing a customer (development and test; see config.ts). Default true. */
  customerPicker?: boolean;
  bodyLimitBytes?: number;
}

/**
 * The storefront: server-rendered pages over the services' HTTP APIs, with the shopper's identity on every
 * call. It keeps no data of its own but the signed session cookie. Health at `/healthz` and `/readyz`; the
 * catalog is `/` (a shop's front door), which answers the services' `{status, service, version}` to a client
 * asking for JSON alone.
 */
export function createApp(deps: StorefrontDeps): Hono {
  const shop: Storefront = {
    api: shopApi(deps.services, { mode: deps.identityMode, adminToken: deps.adminToken, supportToken: deps.supportToken }),
    logger: deps.logger,
    identityMode: deps.identityMode,
    jwtClaim: deps.jwtClaim ?? 'customer_id',
    sessionSecret: deps.sessionSecret,
    sessionMaxAgeSeconds: deps.sessionMaxAgeSeconds ?? 7 * 24 * 60 * 60,
    customerPicker: deps.identityMode === 'header' && (deps.customerPicker ?? true),
    canCreateCustomers: deps.identityMode === 'header' && (deps.customerPicker ?? true) && Boolean(deps.adminToken),
  };
  const app = new Hono();
  app.use(securityHeaders());
  app.use(async function accessLog(c, next) {
    const started = performance.now();
    await next();
    if (c.req.path === '/healthz' || c.req.path === '/readyz') return;
    const status = c.res.status;
    deps.logger[status >= 500 ? 'error' : 'info'](
      { httpRequest: { requestMethod: c.req.method, requestUrl: c.req.path, status, latency: `${((performance.now() - started) / 1000).toFixed(4)}s` } },
      `${c.req.method} ${c.req.path} ${status}`,
    );
  });
  app.use(bodyLimit({ maxSize: deps.bodyLimitBytes ?? 64 * 1024, onError: (c) => c.text('Request too large', 413) }));
  app.use(async function sameSitePostsOnly(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !isSameSiteRequest(c)) {
      const body = html`<h1>Not allowed</h1>${alertBox('error', 'This form was sent from another site', 'Use the shop’s own pages.')}`;
      return render(c, shop, { title: 'Not allowed', body }, 403);
    }
    await next();
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', service: 'storefront', version: deps.version }));
  // DESIGN.md's `GET /` of every service, for a client that asks for JSON; a browser (or curl's */*) gets the shop.
  app.get('/', async (c, next) => {
    const accept = c.req.header('Accept') ?? '';
    if (accept.includes('application/json') && !accept.includes('text/html')) return c.json({ status: 'ok', service: 'storefront', version: deps.version });
    await next();
  });
  // Nothing of its own to check: a service that is down shows on the pages that need it, not as a dead shop.
  app.get('/readyz', (c) => c.json({ status: 'ready', checks: {} }));

  registerAssetRoutes(app);
  registerCatalogRoutes(app, shop);
  registerCartRoutes(app, shop);
  registerOrderRoutes(app, shop);
  registerNotificationRoutes(app, shop);
  registerAccountRoutes(app, shop);

  app.notFound((c) =>
    render(c, shop, { title: 'Not found', body: html`<h1>Not found</h1>${alertBox('error', 'There is no such page')}<p><a href="/">Back to the catalog</a></p>` }, 404),
  );
  app.onError((err, c) => failurePage(c, shop, err));
  return app;
}
