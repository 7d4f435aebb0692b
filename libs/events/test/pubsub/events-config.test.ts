import { describe, expect, it } from 'vitest';
import { ConfigError, functionEnvSchema, loadConfig, serviceEnvSchema } from '@shop/config';
import { testLogger } from '@shop/testing';
import { createTransport, eventsEnvSchema, functionEventsEnvSchema, pushOptionsOf } from '../../src';

const PUBSUB = {
  EVENT_TRANSPORT: 'pubsub',
  GOOGLE_CLOUD_PROJECT: 'shop-prod',
  PUBSUB_PUSH_AUDIENCE: 'https://inventory-abc123-ew.a.run.app',
  PUBSUB_PUSH_SERVICE_ACCOUNT: 'pubsub-push@shop-prod.iam.gserviceaccount.com',
};

const RELAY_DEFAULTS = { OUTBOX_PUBLISH_TIMEOUT_MS: 10_000, OUTBOX_MAX_ATTEMPTS: 10, EVENT_EMBEDDED_ENGINE: 'pg-boss' };

function problemsOf(env: Record<string, string>, schema: Parameters<typeof loadConfig>[0] = eventsEnvSchema): { variable: string; message: string }[] {
  try {
    loadConfig(schema, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('eventsEnvSchema', () => {
  it('defaults to the embedded transport with OIDC verification on', () => {
    expect(loadConfig(eventsEnvSchema, {})).toEqual({ EVENT_TRANSPORT: 'embedded', PUBSUB_VERIFY_OIDC: true, ...RELAY_DEFAULTS });
  });

  it('chooses the embedded engine: pg-boss by default, or the outbox log, and refuses any other', () => {
    expect(loadConfig(eventsEnvSchema, { EVENT_EMBEDDED_ENGINE: 'outbox-log' }).EVENT_EMBEDDED_ENGINE).toBe('outbox-log');
    expect(problemsOf({ EVENT_EMBEDDED_ENGINE: 'kafka' }).map((p) => p.variable)).toEqual(['EVENT_EMBEDDED_ENGINE']);
  });

  it('reads the relay publish timeout and refusal limit, and refuses values out of range', () => {
    expect(loadConfig(eventsEnvSchema, { OUTBOX_PUBLISH_TIMEOUT_MS: '2500', OUTBOX_MAX_ATTEMPTS: '3' })).toMatchObject({ OUTBOX_PUBLISH_TIMEOUT_MS: 2500, OUTBOX_MAX_ATTEMPTS: 3 });
    expect(problemsOf({ OUTBOX_PUBLISH_TIMEOUT_MS: '0', OUTBOX_MAX_ATTEMPTS: 'many' }).map((p) => p.variable)).toEqual(['OUTBOX_PUBLISH_TIMEOUT_MS', 'OUTBOX_MAX_ATTEMPTS']);
  });

  it('accepts Pub/Sub with the project, audience and push service account', () => {
    expect(loadConfig(eventsEnvSchema, PUBSUB)).toEqual({ ...PUBSUB, PUBSUB_VERIFY_OIDC: true, ...RELAY_DEFAULTS });
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

describe('eventsEnvSchema under NODE_ENV=production', () => {
  const PRODUCTION = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://u@h/db', ADMIN_API_TOKEN: 'prod-admin-token-0123456789', SUPPORT_API_TOKEN: 'prod-support-token-0123456789' };
  const service = serviceEnvSchema(3002).and(eventsEnvSchema);

  it('refuses the in-memory transport, in one line naming the variable', () => {
    expect(problemsOf({ ...PRODUCTION, EVENT_TRANSPORT: 'memory' }, service)).toEqual([
      { variable: 'EVENT_TRANSPORT', message: 'must not be memory with NODE_ENV=production (events would be lost; use embedded or pubsub)' },
    ]);
  });

  it('refuses OIDC verification off, even against the emulator', () => {
    const env = { ...PRODUCTION, ...PUBSUB, PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', PUBSUB_VERIFY_OIDC: 'false' };
    expect(problemsOf(env, service)).toEqual([
      { variable: 'PUBSUB_VERIFY_OIDC', message: 'must not be false with NODE_ENV=production (anyone could push events)' },
    ]);
  });

  it('lists both refusals beside every other bad variable', () => {
    const problems = problemsOf({ NODE_ENV: 'production', EVENT_TRANSPORT: 'memory', PUBSUB_VERIFY_OIDC: 'false' }, service);
    expect(problems.map((p) => p.variable).sort()).toEqual(['ADMIN_API_TOKEN', 'DATABASE_URL', 'EVENT_TRANSPORT', 'PUBSUB_VERIFY_OIDC', 'SUPPORT_API_TOKEN']);
  });

  it('starts with the embedded transport, or Pub/Sub verifying tokens', () => {
    expect(loadConfig(service, PRODUCTION)).toMatchObject({ NODE_ENV: 'production', EVENT_TRANSPORT: 'embedded' });
    expect(loadConfig(service, { ...PRODUCTION, ...PUBSUB })).toMatchObject({ EVENT_TRANSPORT: 'pubsub', PUBSUB_VERIFY_OIDC: true });
  });

  it('keeps memory for a service whose NODE_ENV is unset (development) or test', () => {
    expect(loadConfig(eventsEnvSchema, { EVENT_TRANSPORT: 'memory' }).EVENT_TRANSPORT).toBe('memory');
    expect(loadConfig(service, { DATABASE_URL: 'postgresql://u@h/db', EVENT_TRANSPORT: 'memory' })).toMatchObject({ NODE_ENV: 'development' });
    expect(loadConfig(service, { DATABASE_URL: 'postgresql://u@h/db', NODE_ENV: 'test', EVENT_TRANSPORT: 'memory' }).EVENT_TRANSPORT).toBe('memory');
  });

  it('treats an unset NODE_ENV as production for a Cloud Function', () => {
    const fn = functionEnvSchema.and(functionEventsEnvSchema);
    expect(problemsOf({ DATABASE_URL: 'postgresql://u@h/db', EVENT_TRANSPORT: 'memory' }, fn).map((p) => p.variable)).toEqual(['EVENT_TRANSPORT']);
    expect(loadConfig(fn, { DATABASE_URL: 'postgresql://u@h/db', NODE_ENV: 'test', EVENT_TRANSPORT: 'memory' })).toMatchObject({ NODE_ENV: 'test', EVENT_TRANSPORT: 'memory' });
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
