// The storefront without the services: a fake ServiceClient that answers from a table of routes and records
// every request the storefront made (to see exactly which identity it forwarded).
import { createLogger } from '@shop/observability';
import { createApp, type StorefrontDeps } from '../src/app';
import type { ShopService } from '../src/config';
import type { ServiceClient, ServiceRequest } from '../src/service-client';
import { createSession } from '../src/session';

export const SECRET = 'storefront-test-secret-0123456789abcdef';
export const JOHN = { customerId: '550e8400-e29b-41d4-a716-446655440000', name: 'John Smith' };

export interface Call {
  service: ShopService;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = Response | ((call: Call) => Response);

export const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
export const problem = (status: number, title: string, detail: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title, status, detail }), { status, headers: { 'Content-Type': 'application/problem+json' } });

export const EMPTY_CART = { cart_id: null, status: 'open', cart_locked: false, items: [], total_cents: 0, currency: 'EUR', order_id: null, rejection: null };
export const TEE = { sku: 'TEE', name: 'T-shirt', description: 'Cotton', price_cents: 1999, currency: 'EUR', available: 3, created_at: '2026-01-01T00:00:00Z' };

/** A storefront over fake services: `answers` maps `"<service> <METHOD> <path>"` to a response. */
export function fakeStorefront(answers: Record<string, Answer>, deps: Partial<StorefrontDeps> = {}) {
  const calls: Call[] = [];
  const services: ServiceClient = async (service, path, request: ServiceRequest = {}) => {
    const call: Call = { service, method: request.method ?? 'GET', path, headers: request.headers ?? {}, body: request.body };
    calls.push(call);
    const answer = answers[`${service} ${call.method} ${path.split('?')[0]}`];
    if (!answer) return problem(404, 'Not Found', `no fake for ${service} ${call.method} ${path}`);
    return typeof answer === 'function' ? answer(call) : answer.clone();
  };
  const app = createApp({
    services,
    logger: createLogger({ service: 'storefront', level: 'silent' }),
    version: 'test',
    identityMode: 'header',
    sessionSecret: SECRET,
    adminToken: 'admin-token-for-tests-only',
    supportToken: 'support-token-for-tests-only',
    ...deps,
  });
  return { app, calls };
}

/** The Cookie header of a signed-in shopper. */
export function sessionCookie(shopper: { customerId: string; name: string; token?: string } = JOHN, secret = SECRET): string {
  return `shop_session=${createSession(shopper, secret, 3600)}`;
}

/** A form POST as the shop's own page sends it. */
export function formPost(fields: Record<string, string>, cookie?: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin', ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  };
}
