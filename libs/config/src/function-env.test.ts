import { describe, expect, it } from 'vitest';
import { functionEnvSchema } from './function-env';
import { loadConfig } from './load-config';

const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/shop';

describe('functionEnvSchema', () => {
  it('defaults to production with a small pool, and reads nothing of a service\'s HTTP side', () => {
    expect(loadConfig(functionEnvSchema, { DATABASE_URL, PORT: '8080', ADMIN_API_TOKEN: 'x' })).toEqual({
      NODE_ENV: 'production',
      DATABASE_URL,
      DATABASE_POOL_MAX: 2,
      LOG_LEVEL: 'info',
      SERVICE_VERSION: expect.any(String),
    });
  });

  it('requires a postgres DATABASE_URL and keeps the pool within 1 to 50', () => {
    expect(() => loadConfig(functionEnvSchema, {})).toThrow(/DATABASE_URL/);
    expect(() => loadConfig(functionEnvSchema, { DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL: must be a postgres/);
    expect(() => loadConfig(functionEnvSchema, { DATABASE_URL, DATABASE_POOL_MAX: '51' })).toThrow(/DATABASE_POOL_MAX/);
    expect(loadConfig(functionEnvSchema, { DATABASE_URL, DATABASE_POOL_MAX: '5' }).DATABASE_POOL_MAX).toBe(5);
  });

  it('accepts any lowercase NODE_ENV, e.g. staging', () => {
    expect(loadConfig(functionEnvSchema, { DATABASE_URL, NODE_ENV: 'staging' }).NODE_ENV).toBe('staging');
    expect(() => loadConfig(functionEnvSchema, { DATABASE_URL, NODE_ENV: 'Production' })).toThrow(/NODE_ENV: must be a lowercase name/);
  });

  it('reports Cloud Run\'s revision (K_REVISION) as its version, unless SERVICE_VERSION is set', () => {
    expect(loadConfig(functionEnvSchema, { DATABASE_URL, K_REVISION: 'cart-00042-xyz' }).SERVICE_VERSION).toBe('cart-00042-xyz');
    expect(loadConfig(functionEnvSchema, { DATABASE_URL, K_REVISION: 'cart-00042-xyz', SERVICE_VERSION: '4f2a9c1' }).SERVICE_VERSION).toBe('4f2a9c1');
  });
});
