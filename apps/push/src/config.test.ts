import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@shop/config';
import { pushConfigSchema, pushFunctionConfigSchema } from './config';

const DATABASE_URL = 'postgresql://localhost/shop';
const TOKENS = { ADMIN_API_TOKEN: 'a'.repeat(20), SUPPORT_API_TOKEN: 'b'.repeat(20) };

function variablesRefused(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.variable).sort();
  }
  throw new Error('expected a ConfigError');
}

describe('push configuration under NODE_ENV=production', () => {
  it('refuses the in-memory transport and OIDC verification off, in the service', () => {
    const env = { DATABASE_URL, NODE_ENV: 'production', ...TOKENS, EVENT_TRANSPORT: 'memory', PUBSUB_VERIFY_OIDC: 'false', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' };
    expect(variablesRefused(() => loadConfig(pushConfigSchema, env))).toEqual(['EVENT_TRANSPORT', 'PUBSUB_VERIFY_OIDC']);
  });

  it('refuses them in the Cloud Function too, where an unset NODE_ENV means production', () => {
    expect(variablesRefused(() => loadConfig(pushFunctionConfigSchema, { DATABASE_URL, EVENT_TRANSPORT: 'memory' }))).toEqual(['EVENT_TRANSPORT']);
    expect(variablesRefused(() => loadConfig(pushFunctionConfigSchema, { DATABASE_URL, PUBSUB_VERIFY_OIDC: 'false', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }))).toEqual([
      'PUBSUB_VERIFY_OIDC',
    ]);
    expect(loadConfig(pushFunctionConfigSchema, { DATABASE_URL, NODE_ENV: 'test', EVENT_TRANSPORT: 'memory' }).EVENT_TRANSPORT).toBe('memory');
  });

  it('limits endpoint hosts to the browsers\' push services in any environment but development and test', () => {
    expect(loadConfig(pushConfigSchema, { DATABASE_URL, NODE_ENV: 'staging', ...TOKENS }).PUSH_ENDPOINT_HOSTS).not.toContain('*');
    expect(loadConfig(pushConfigSchema, { DATABASE_URL, NODE_ENV: 'test' }).PUSH_ENDPOINT_HOSTS).toEqual(['*']);
  });
});
