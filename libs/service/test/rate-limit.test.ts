import { describe, expect, it } from 'vitest';
import { loadConfig, serviceEnvSchema } from '@shop/config';
import { defineRoute } from '@shop/http';
import { adminHeaders, useTestDatabase } from '@shop/testing';
import { createServiceApp, type AppContext } from '../src';
import { testAppContext } from '../src/test';

const CUSTOMER = '550e8400-e29b-41d4-a716-446655440000';
const db = await useTestDatabase({ poolMax: 2 });

/** A service app over `config`, with one customer route. */
function serviceApp(config: AppContext['config']) {
  const context = testAppContext('customer', db);
  const { app } = createServiceApp({ ...context, config }, { service: 'customer', description: 'test', isKnownCustomer: async (id) => id === CUSTOMER });
  defineRoute(app, { method: 'get', path: '/mine', summary: 'Customers only', access: { customer: true }, responses: { 200: { description: 'ok' } } }, (c) =>
    c.json({}),
  );
  return app;
}

async function countUntilRefused(send: () => Promise<Response> | Response, max: number): Promise<number> {
  for (let i = 1; i <= max; i++) if ((await send()).status === 429) return i - 1;
  return max;
}

describe('createServiceApp', () => {
  it('limits each principal as the configuration says', async () => {
    const app = serviceApp({ ...testAppContext('customer', db).config, RATE_LIMIT_REQUESTS: 2, RATE_LIMIT_STAFF_REQUESTS: 3, RATE_LIMIT_WINDOW_SECONDS: 60, RATE_LIMIT_TRUST_CLIENT_ADDRESS: false });
    expect(await countUntilRefused(() => app.request('/mine', { headers: { 'X-Customer-Id': CUSTOMER } }), 10)).toBe(2);
    // The event routes every service gets stay open to admins however often they call.
    expect(await countUntilRefused(() => app.request('/admin/dead-letters', { headers: adminHeaders }), 10)).toBe(10);
  });

  it('allows 600 requests a minute per customer with the default configuration', async () => {
    const config = loadConfig(serviceEnvSchema(3006), { DATABASE_URL: db.url });
    const app = serviceApp(config);
    expect(await countUntilRefused(() => app.request('/mine', { headers: { 'X-Customer-Id': CUSTOMER } }), 700)).toBe(600);
  });
});
