// What every page route shares: who is shopping, reading forms, refusing cross-site posts, and turning a
// service's refusal into a page a shopper can read.
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html, type SafeHtml } from '@shop/http/web';
import type { Logger } from '@shop/observability';
import { bearerTokenOf, claimOf, type IdentityMode } from '../identity';
import { ServiceProblem, ServiceUnreachable } from '../service-client';
import { createSession, SESSION_COOKIE, verifySession, type Shopper } from '../session';
import type { ShopApi } from '../shop-api';
import { alertBox, page, PAGE_HEADERS, type Section } from '../views/layout';

/** What the routes are built from (app.ts wires it). */
export interface Storefront {
  api: ShopApi;
  logger: Logger;
  identityMode: IdentityMode;
  /** The ID token claim that names the customer (IDENTITY_JWT_CLAIM). */
  jwtClaim: string;
  sessionSecret: string;
  sessionMaxAgeSeconds: number;
  /** Header mode: shoppers sign in by choosing a customer (not an authentication: development, demos). */
  customerPicker: boolean;
  /** The picker with the admin token: shoppers may create a customer to sign in as. */
  canCreateCustomers: boolean;
}

export type StorefrontApp = Hono;

/**
 * Who is shopping: in jwt mode a bearer token on the request itself (a gateway in front that signs shoppers
 * in), else the session cookie. Header mode ignores `Authorization` and any `X-Customer-Id` a browser sends:
 * only the signed session says who the shopper is.
 */
export function shopperOf(c: Context, shop: Storefront): Shopper | undefined {
  if (shop.identityMode === 'jwt') {
    const token = bearerTokenOf(c.req.header('Authorization'));
    const customerId = token && claimOf(token, shop.jwtClaim);
    if (token && customerId) return { customerId, name: 'you', token };
  }
  return verifySession(getCookie(c, SESSION_COOKIE), shop.sessionSecret);
}

function isHttps(c: Context): boolean {
  const forwarded = c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded ? forwarded === 'https' : new URL(c.req.url).protocol === 'https:';
}

export function signIn(c: Context, shop: Storefront, shopper: Shopper): void {
  setCookie(c, SESSION_COOKIE, createSession(shopper, shop.sessionSecret, shop.sessionMaxAgeSeconds), {
    path: '/',
    httpOnly: true,
    // Lax, not Strict: a link to the shop from an e-mail opens it signed in; other sites' POSTs carry no cookie.
    sameSite: 'Lax',
    secure: isHttps(c),
    maxAge: shop.sessionMaxAgeSeconds,
  });
}

export function signOut(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/** A path on this site to return to after signing in; anything else (another host, `//evil`) is the catalog. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

/** The sign-in page's URL that comes back to `path`. */
export function signInHref(path: string): string {
  return `/sign-in?next=${encodeURIComponent(path)}`;
}

/** Renders a whole page. */
export function render(c: Context, shop: Storefront, options: { title: string; body: SafeHtml; current?: Section; refreshSeconds?: number }, status = 200): Response {
  const shopper = shopperOf(c, shop);
  return c.body(page({ ...options, shopper }), status as 200, PAGE_HEADERS);
}

/** The form's string fields; undefined when the body is not a form. */
export async function readForm(c: Context): Promise<Record<string, string> | undefined> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') return undefined;
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** What a shopper reads when a service refuses: the service's own explanation, and the field problems. */
export function problemMessage(problem: ServiceProblem): SafeHtml {
  const fields = problem.errors.filter((e) => e.message);
  return html`${problem.detail ?? problem.title}${
    fields.length > 0 && html`<ul>${fields.map((e) => html`<li>${e.field ? html`<strong>${e.field.replace(/_/g, ' ')}</strong>: ` : ''}${e.message}</li>`)}</ul>`
  }`;
}

const TITLES: Record<number, string> = {
  400: 'That request did not work',
  403: 'Not allowed',
  404: 'Not found',
  409: 'That cannot be done right now',
  415: 'That request did not work',
  422: 'Please check what you entered',
  429: 'Too many requests',
};

/**
 * The page for a failure: a service's refusal keeps its status and says why; an unreachable or failing
 * service is a 502/503 page that names it; anything else a plain 500 page with nothing internal in it.
 * A 401 from a service means the session no longer names a customer it knows: sign out and sign in again.
 */
export function failurePage(c: Context, shop: Storefront, err: unknown): Response {
  if (err instanceof ServiceProblem && err.status === 401) {
    signOut(c);
    return c.redirect(signInHref(new URL(c.req.url).pathname), 303);
  }
  let status: number;
  let title: string;
  let message: SafeHtml | string;
  if (err instanceof ServiceProblem && err.status < 500) {
    status = err.status;
    title = TITLES[err.status] ?? 'That request did not work';
    message = err.status === 404 ? 'There is nothing here, or it is not yours.' : problemMessage(err);
  } else if (err instanceof ServiceProblem || err instanceof ServiceUnreachable) {
    status = err instanceof ServiceUnreachable ? 503 : 502;
    title = 'Part of the shop is not answering';
    message = `The ${err.service} service could not answer just now. Please try again in a moment.`;
    shop.logger.warn({ err: String(err) }, 'a service failed');
  } else {
    status = 500;
    title = 'Something went wrong';
    message = 'Please try again. If it keeps happening, tell us.';
    shop.logger.error({ err }, 'unhandled error');
  }
  return render(c, shop, { title, body: html`<h1>${title}</h1>${alertBox('error', title, message)}<p><a href="/">Back to the catalog</a></p>` }, status);
}
