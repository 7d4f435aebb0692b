import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, serviceEnvSchema } from '@shop/config';
import { testLogger } from '@shop/testing';
import { createTransport, eventsEnvSchema, pushOptionsOf } from '../../src';

const PUBSUB = {
  EVENT_TRANSPORT: 'pubsub',
  GOOGLE_CLOUD_PROJECT: 'shop-prod',
  PUBSUB_PUSH_AUDIENCE: 'https://inventory-abc123-ew.a.run.app',
  PUBSUB_PUSH_SERVICE_ACCOUNT: 'pubsub-push@shop-prod.iam.gserviceaccount.com',
};

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(eventsEnvSchema, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('eventsEnvSchema', () => {
  it('defaults to the embedded transport with OIDC verification on', () => {
    expect(loadConfig(eventsEnvSchema, {})).toEqual({ EVENT_TRANSPORT: 'embedded', PUBSUB_VERIFY_OIDC: true });
  });

  it('accepts Pub/Sub with the project, audience and push service account', () => {
    expect(loadConfig(eventsEnvSchema, PUBSUB)).toEqual({ ...PUBSUB, PUBSUB_VERIFY_OIDC: true });
  });

  it('requires the project, audience and push service account for Pub/Sub', () => {
    expect(problemsOf({ EVENT_TRANSPORT: 'pubsub' }).map((p) => p.variable)).toEqual([
      'GOOGLE_CLOUD_PROJECT',
      'PUBSUB_PUSH_AUDIENCE',
      'PUBSUB_PUSH_SERVICE_ACCOUNT',
    ]);
  });

  it('refuses to turn OIDC verification off without PUBSUB_EMULATOR_HOST', () => {
    expect(problemsOf({ ...PUBSUB, PUBSUB_VERIFY_OIDC: 'false' })).toEqual([
      { variable: 'PUBSUB_VERIFY_OIDC', message: expect.stringMatching(/only with PUBSUB_EMULATOR_HOST/) },
    ]);
  });

  it('allows verification off against the emulator, and then needs no audience or service account', () => {
    const env = { EVENT_TRANSPORT: 'pubsub', GOOGLE_CLOUD_PROJECT: 'test-project', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', PUBSUB_VERIFY_OIDC: 'false' };
    expect(loadConfig(eventsEnvSchema, env)).toMatchObject({ PUBSUB_VERIFY_OIDC: false, PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' });
  });

  it.each([
    ['PUBSUB_VERIFY_OIDC', 'maybe'],
    ['PUBSUB_EMULATOR_HOST', 'http://localhost'],
    ['PUBSUB_PUSH_SERVICE_ACCOUNT', 'not an e-mail'],
    ['EVENT_TRANSPORT', 'kafka'],
  ])('refuses %s=%s', (variable, value) => {
    expect(problemsOf({ ...PUBSUB, [variable]: value }).map((p) => p.variable)).toContain(variable);
  });

  it('merges into a service schema, and one error lists the problems of both', () => {
    const schema = serviceEnvSchema(3002).and(eventsEnvSchema);
    const config = loadConfig(schema, { DATABASE_URL: 'postgresql://u@h/db', ...PUBSUB });
    expect(config).toMatchObject({ PORT: 3002, EVENT_TRANSPORT: 'pubsub', GOOGLE_CLOUD_PROJECT: 'shop-prod' });
    try {
      loadConfig(schema, { PUBSUB_VERIFY_OIDC: 'false' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'PUBSUB_VERIFY_OIDC']);
    }
  });
});

describe('createTransport and pushOptionsOf', () => {
  const deps = { databaseUrl: 'postgresql://u@127.0.0.1:1/db', logger: testLogger() };

  it('builds the engine EVENT_TRANSPORT names', async () => {
    for (const kind of ['embedded', 'memory', 'pubsub'] as const) {
      const transport = createTransport(loadConfig(eventsEnvSchema, { ...PUBSUB, EVENT_TRANSPORT: kind }), deps);
      expect(transport.kind).toBe(kind);
      await transport.close();
    }
  });

  it('gives the push route what the configuration says', () => {
    expect(pushOptionsOf(loadConfig(eventsEnvSchema, {}))).toBeUndefined();
    expect(pushOptionsOf(loadConfig(eventsEnvSchema, PUBSUB))).toEqual({
      verify: true,
      audience: PUBSUB.PUBSUB_PUSH_AUDIENCE,
      serviceAccountEmail: PUBSUB.PUBSUB_PUSH_SERVICE_ACCOUNT,
      projectId: 'shop-prod',
    });
    const emulator = loadConfig(eventsEnvSchema, { ...PUBSUB, PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', PUBSUB_VERIFY_OIDC: 'false' });
    expect(pushOptionsOf(emulator)).toEqual({ verify: false, projectId: 'shop-prod' });
  });
});
