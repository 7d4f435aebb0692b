import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { getCookie, generateCookie } from 'hono/cookie';
import { decodeCursor, DomainError, encodeCursor, fieldErrors, isDomainError, isSameSiteRequest, type AppEnv, type FieldError, type StaffRole } from '@shop/http';
import { findCustomerByEmail, findCustomers } from '../db/customers.queries';
import { countFailed } from '../db/notifications.queries';
import { ManualNotificationBody, type NotificationRow } from '../domain/notification';
import { deliveryHistory, getNotification, listNotifications, sendManualNotification, type NotificationStore } from '../domain/notifications';
import { NotificationCursor, NotificationListQuery } from '../routes/notifications.routes';
import { loadJourney } from './journey';
import { journeyPage } from './journey-page';
import { CONSOLE_HEADERS, detailPage, listPage, messagePage, signInPage } from './pages';
import type { ServiceClient } from './service-client';
import { createSession, roleOfToken, SESSION_COOKIE, SESSION_PATH, verifySession, type StaffTokens } from './session';

export interface ConsoleOptions {
  /** How long a console session lasts (seconds). */
  sessionMaxAgeSeconds: number;
  /** Asks the other services (journeys: their `GET /admin/events`, order's ids). */
  services: ServiceClient;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Any correlation id the services use: UUIDs, SKUs. Printable, and short enough for a URL.
const JOURNEY_ID = /^[\x21-\x7e]{1,200}$/;
const PAGE_SIZE = 50;
const RECENT_FAILURES = 10;

// What the rendered e-mail may do when opened on its own: nothing but show itself.
const EMAIL_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function page(c: Context<AppEnv>, body: string, status: 200 | 401 | 403 | 404 | 415 | 422 = 200, headers: Record<string, string> = {}): Response {
  return c.body(body, status, { ...CONSOLE_HEADERS, ...headers });
}

function unauthenticated(c: Context<AppEnv>, error?: string): Response {
  // A 401 must name a scheme; browsers do not prompt for Bearer, so the page's form is what people see.
  return page(c, signInPage(error ? { error } : {}), 401, { 'WWW-Authenticate': 'Bearer realm="support console"' });
}

function tokensOf(c: Context<AppEnv>): StaffTokens {
  const { adminToken, supportToken } = c.get('identity');
  return { adminToken, supportToken };
}

/**
 * Who is using the console: a support or admin bearer token, else the session cookie. A bearer token that
 * is sent but wrong is not overridden by a cookie: the caller said who they are, and that was not true.
 */
function consoleRole(c: Context<AppEnv>): StaffRole | undefined {
  const authorization = c.req.header('Authorization');
  if (authorization !== undefined) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    return token ? roleOfToken(token, tokensOf(c)) : undefined;
  }
  return verifySession(getCookie(c, SESSION_COOKIE), tokensOf(c));
}

function isHttps(c: Context<AppEnv>): boolean {
  const forwarded = c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim();
  return forwarded ? forwarded === 'https' : new URL(c.req.url).protocol === 'https:';
}

/** Reads a form body; anything but a form is refused with a problem document, as the API does. */
async function readForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') {
    throw new DomainError('unsupported_media_type', 'Send the form as application/x-www-form-urlencoded.');
  }
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function withoutEmpty(query: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v.trim() !== ''));
}

/** The support console: server-rendered pages over the same use cases as the API. */
export function registerConsoleRoutes(app: Hono<AppEnv>, store: NotificationStore, options: ConsoleOptions): void {
  const { prisma } = store;

  app.get('/console', async (c) => {
    const role = consoleRole(c);
    if (!role) return unauthenticated(c);
    const raw = withoutEmpty(c.req.query());
    const filters = { customer: raw['customer'] ?? '', type: raw['type'] ?? '', channel: raw['channel'] ?? '', status: raw['status'] ?? '' };
    const errors: FieldError[] = [];
    // People know customers by e-mail more often than by id: the customer filter takes either.
    let customerId: string | undefined;
    let nobody = false;
    if (filters.customer) {
      if (UUID.test(filters.customer.trim())) customerId = filters.customer.trim().toLowerCase();
      else if (filters.customer.includes('@')) {
        const found = await findCustomerByEmail(prisma, filters.customer.trim());
        customerId = found?.customerId;
        nobody = !found;
      } else errors.push({ field: 'customer', message: 'must be a customer id or an e-mail address' });
    }
    const parsed = NotificationListQuery.safeParse({ ...raw, customer: undefined, limit: String(PAGE_SIZE) });
    if (!parsed.success) errors.push(...fieldErrors(parsed.error.issues));
    const before = raw['cursor'] ? decodeCursor(raw['cursor'], NotificationCursor) : undefined;
    if (raw['cursor'] && !before) errors.push({ field: 'cursor', message: 'not a cursor from this list' });

    let rows: NotificationRow[] = [];
    let nextHref: string | null = null;
    if (!errors.length && !nobody && parsed.success) {
      const { type, channel, status } = parsed.data;
      const found = await listNotifications(prisma, {
        limit: PAGE_SIZE,
        customerId,
        type,
        channel,
        status,
        before: before && { createdAt: new Date(before.c), notificationId: before.id },
      });
      rows = found.slice(0, PAGE_SIZE);
      const last = rows.at(-1);
      if (found.length > PAGE_SIZE && last) {
        const next = new URLSearchParams({ ...withoutEmpty(filters), cursor: encodeCursor({ c: last.createdAt.toISOString(), id: last.notificationId }) });
        nextHref = `/console?${next.toString()}`;
      }
    }
    const [counts, recent] = await Promise.all([countFailed(prisma), listNotifications(prisma, { limit: RECENT_FAILURES - 1, status: 'failed' })]);
    const customers = await findCustomers(prisma, [...new Set([...rows, ...recent].map((n) => n.customerId))]);
    const body = listPage({
      role,
      filters,
      errors,
      rows,
      customers: new Map(customers.map((cu) => [cu.customerId, cu])),
      nextHref,
      failed: { counts, recent },
      compose: { customerId: customerId ?? '', formId: randomUUID() },
    });
    return page(c, body, errors.length ? 422 : 200);
  });

  app.get('/console/notifications/:id', async (c) => {
    const role = consoleRole(c);
    if (!role) return unauthenticated(c);
    const id = c.req.param('id');
    const notification = UUID.test(id) ? await getNotification(prisma, id.toLowerCase()).catch(notFoundAsNull) : null;
    if (!notification) return page(c, messagePage('Not found', `There is no notification ${id}.`, role), 404);
    const [customer] = await findCustomers(prisma, [notification.customerId]);
    const deliveries = await deliveryHistory(prisma, notification.notificationId);
    return page(c, detailPage({ role, notification, customer: customer ?? null, deliveries }));
  });

  app.get('/console/notifications/:id/email', async (c) => {
    const role = consoleRole(c);
    if (!role) return unauthenticated(c);
    const id = c.req.param('id');
    const notification = UUID.test(id) ? await getNotification(prisma, id.toLowerCase()).catch(notFoundAsNull) : null;
    if (!notification?.html) return page(c, messagePage('Not found', `There is no e-mail ${id}.`, role), 404);
    return c.body(notification.html, 200, EMAIL_HEADERS);
  });

  // The front page's search box: a GET form, so the journey's address can be shared.
  app.get('/console/journeys', (c) => {
    const role = consoleRole(c);
    if (!role) return unauthenticated(c);
    const id = c.req.query('id')?.trim() ?? '';
    if (!JOURNEY_ID.test(id)) return page(c, messagePage('Not found', 'Enter a cart, order or request id.', role, [{ field: 'id', message: 'must be an id' }]), 422);
    return c.body(null, 303, { Location: `/console/journeys/${encodeURIComponent(id)}`, 'Cache-Control': 'no-store' });
  });

  app.get('/console/journeys/:id', async (c) => {
    const role = consoleRole(c);
    if (!role) return unauthenticated(c);
    const id = c.req.param('id');
    if (!JOURNEY_ID.test(id)) return page(c, messagePage('Not found', 'That is not a cart, order or request id.', role), 404);
    // Read-only questions, asked as support whoever is signed in: an admin's token never leaves for them.
    const journey = await loadJourney(id, options.services, { Authorization: `Bearer ${tokensOf(c).supportToken}` });
    return page(c, journeyPage(journey, role));
  });

  app.post('/console/session', async (c) => {
    if (!isSameSiteRequest(c)) return page(c, messagePage('Forbidden', 'Sign in from the console’s own page.'), 403);
    const form = await readForm(c);
    const token = form['token']?.trim() ?? '';
    const role = token ? roleOfToken(token, tokensOf(c)) : undefined;
    if (!role) return unauthenticated(c, token ? 'That token is not a support or admin token.' : 'Enter your token.');
    const cookie = generateCookie(SESSION_COOKIE, createSession(role, tokensOf(c), options.sessionMaxAgeSeconds), {
      path: SESSION_PATH,
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      maxAge: options.sessionMaxAgeSeconds,
    });
    return c.body(null, 303, { Location: '/console', 'Set-Cookie': cookie, 'Cache-Control': 'no-store' });
  });

  app.post('/console/sign-out', (c) => {
    if (!isSameSiteRequest(c)) return page(c, messagePage('Forbidden', 'Sign out from the console’s own page.'), 403);
    const cookie = generateCookie(SESSION_COOKIE, '', { path: SESSION_PATH, httpOnly: true, sameSite: 'Strict', secure: isHttps(c), maxAge: 0 });
    return c.body(null, 303, { Location: '/console', 'Set-Cookie': cookie, 'Cache-Control': 'no-store' });
  });

  app.post('/console/notifications', async (c) => {
    const role = consoleRole(c);
    if (!role) return unauthenticated(c);
    if (!isSameSiteRequest(c)) return page(c, messagePage('Forbidden', 'Send messages from the console’s own page.', role), 403);
    const { form_id: formId, ...fields } = await readForm(c);
    const parsed = ManualNotificationBody.safeParse(fields);
    if (!parsed.success) return page(c, messagePage('Not sent', 'The message was not sent:', role, fieldErrors(parsed.error.issues)), 422);
    try {
      const email = await sendManualNotification(store, parsed.data, formId && UUID.test(formId) ? formId : undefined);
      return c.body(null, 303, { Location: `/console/notifications/${email.notificationId}`, 'Cache-Control': 'no-store' });
    } catch (err) {
      if (isDomainError(err) && err.kind === 'validation') return page(c, messagePage('Not sent', err.message, role, err.errors), 422);
      throw err;
    }
  });
}

function notFoundAsNull(err: unknown): null {
  if (isDomainError(err) && err.kind === 'not_found') return null;
  throw err;
}
