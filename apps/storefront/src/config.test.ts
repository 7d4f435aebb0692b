import { describe, expect, it } from 'vitest';
import { loadConfig } from '@shop/config';
import { serviceUrlsOf, storefrontConfigSchema } from './config';

const PRODUCTION = { NODE_ENV: 'production', ADMIN_API_TOKEN: 'a-real-admin-token-000', SUPPORT_API_TOKEN: 'a-real-support-token-00' };

describe('storefrontConfigSchema', () => {
  it('runs locally with nothing set: port 3008, the services on their local ports, the customer picker on', () => {
    const config = loadConfig(storefrontConfigSchema, {});
    expect(config).toMatchObject({ PORT: 3008, IDENTITY_MODE: 'header', STOREFRONT_CUSTOMER_PICKER: true, ADMIN_API_TOKEN: 'local-admin-token' });
    expect(config.STOREFRONT_SESSION_SECRET).toBeUndefined();
    expect(serviceUrlsOf(config)).toEqual({
      product: 'http://127.0.0.1:3001',
      cart: 'http://127.0.0.1:3005',
      order: 'http://127.0.0.1:3000',
      customer: 'http://127.0.0.1:3006',
      notification: 'http://127.0.0.1:3003',
      push: 'http://127.0.0.1:3007',
    });
  });

  it('requires a session secret in production, and turns the customer picker off there unless told', () => {
    expect(() => loadConfig(storefrontConfigSchema, PRODUCTION)).toThrow(/STOREFRONT_SESSION_SECRET: is required with NODE_ENV=production/);
    const config = loadConfig(storefrontConfigSchema, { ...PRODUCTION, STOREFRONT_SESSION_SECRET: 'x'.repeat(32) });
    expect(config.STOREFRONT_CUSTOMER_PICKER).toBe(false);
    expect(loadConfig(storefrontConfigSchema, { NODE_ENV: 'production', STOREFRONT_SESSION_SECRET: 'x'.repeat(32), IDENTITY_MODE: 'jwt' })).toMatchObject({ ADMIN_API_TOKEN: undefined });
    expect(() => loadConfig(storefrontConfigSchema, { ...PRODUCTION, STOREFRONT_SESSION_SECRET: 'x'.repeat(32), ADMIN_API_TOKEN: 'local-admin-token' })).toThrow(/printed local default/);
  });
});
