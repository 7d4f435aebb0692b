import { describe, expect, it } from 'vitest';
import { checkoutRetryEnvSchema } from './checkout-retry-env';
import { ConfigError, loadConfig } from './load-config';

describe('checkoutRetryEnvSchema', () => {
  it('asks again after 20 s, doubling up to 300 s, when nothing is set', () => {
    expect(loadConfig(checkoutRetryEnvSchema, {})).toEqual({ CHECKOUT_RETRY_AFTER_SECONDS: 20, CHECKOUT_RETRY_MAX_SECONDS: 300 });
  });

  it('reads both settings from the environment', () => {
    expect(loadConfig(checkoutRetryEnvSchema, { CHECKOUT_RETRY_AFTER_SECONDS: '2', CHECKOUT_RETRY_MAX_SECONDS: '8' })).toEqual({
      CHECKOUT_RETRY_AFTER_SECONDS: 2,
      CHECKOUT_RETRY_MAX_SECONDS: 8,
    });
  });

  it.each([
    [{ CHECKOUT_RETRY_AFTER_SECONDS: '0' }, 'CHECKOUT_RETRY_AFTER_SECONDS'],
    [{ CHECKOUT_RETRY_AFTER_SECONDS: '1.5' }, 'CHECKOUT_RETRY_AFTER_SECONDS'],
    [{ CHECKOUT_RETRY_AFTER_SECONDS: 'soon' }, 'CHECKOUT_RETRY_AFTER_SECONDS'],
    [{ CHECKOUT_RETRY_AFTER_SECONDS: '60', CHECKOUT_RETRY_MAX_SECONDS: '30' }, 'CHECKOUT_RETRY_MAX_SECONDS'],
  ])('refuses %o, naming %s', (env, variable) => {
    expect(() => loadConfig(checkoutRetryEnvSchema, env)).toThrow(ConfigError);
    try {
      loadConfig(checkoutRetryEnvSchema, env);
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
    }
  });
});
