import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';
import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN, serviceEnvSchema } from './service-env';

const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/shop';
const ADMIN = 'prod-admin-token-0123456789';
const SUPPORT = 'prod-support-token-0123456789';

function problemsOf(fn: () => unknown): { variable: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('serviceEnvSchema', () => {
  it('fills in the defaults, the local tokens and the service port', () => {
    expect(loadConfig(serviceEnvSchema(3006), { DATABASE_URL })).toEqual({
      NODE_ENV: 'development',
      PORT: 3006,
      HOST: '0.0.0.0',
      DATABASE_URL,
      DATABASE_POOL_MAX: 10,
      ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN,
      SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN,
      LOG_LEVEL: 'info',
      BODY_LIMIT_BYTES: 1024 * 1024,
      SHUTDOWN_TIMEOUT_MS: 9_000,
      RATE_LIMIT_REQUESTS: 600,
      RATE_LIMIT_STAFF_REQUESTS: 6_000,
      RATE_LIMIT_WINDOW_SECONDS: 60,
      RATE_LIMIT_TRUST_CLIENT_ADDRESS: false,
      TRACE_SAMPLE_RATIO: 1,
      SERVICE_VERSION: expect.any(String),
      IDENTITY_MODE: 'header',
      IDENTITY_JWT_CLAIM: 'customer_id',
    });
  });

  it('reads where traces go and how many, and refuses an OTLP endpoint that is not http(s) or a ratio above 1', () => {
    const env = { DATABASE_URL, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', TRACE_EXPORTER: 'otlp', TRACE_SAMPLE_RATIO: '0.1', K_SERVICE: 'cart' };
    expect(loadConfig(serviceEnvSchema(3006), env)).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', TRACE_EXPORTER: 'otlp', TRACE_SAMPLE_RATIO: 0.1, K_SERVICE: 'cart' });
    expect(() => loadConfig(serviceEnvSchema(3006), { DATABASE_URL, OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadConfig(serviceEnvSchema(3006), { DATABASE_URL, TRACE_SAMPLE_RATIO: '2' })).toThrow(/TRACE_SAMPLE_RATIO/);
  });

  it('reads PORT as Cloud Run sets it, and coerces numbers', () => {
    const config = loadConfig(serviceEnvSchema(3006), { DATABASE_URL, PORT: '8080', DATABASE_POOL_MAX: '4', BODY_LIMIT_BYTES: '2048' });
    expect(config).toMatchObject({ PORT: 8080, DATABASE_POOL_MAX: 4, BODY_LIMIT_BYTES: 2048 });
  });

  it.each(['postgres://u@h/db', 'postgresql://u:p@h:5432/db?sslmode=require'])('accepts the database URL %s', (url) => {
    expect(loadConfig(serviceEnvSchema(1), { DATABASE_URL: url }).DATABASE_URL).toBe(url);
  });

  it.each(['mysql://u@h/db', 'not a url', 'http://h/db'])('refuses the database URL %s', (url) => {
    expect(problemsOf(() => loadConfig(serviceEnvSchema(1), { DATABASE_URL: url }))).toEqual([
      { variable: 'DATABASE_URL', message: 'must be a postgres:// or postgresql:// URL' },
    ]);
  });

  it('overrides the local tokens with the variables', () => {
    expect(loadConfig(serviceEnvSchema(1), { DATABASE_URL, ADMIN_API_TOKEN: ADMIN, SUPPORT_API_TOKEN: SUPPORT })).toMatchObject({
      ADMIN_API_TOKEN: ADMIN,
      SUPPORT_API_TOKEN: SUPPORT,
    });
  });

  it('refuses a token shorter than 16 characters', () => {
    expect(problemsOf(() => loadConfig(serviceEnvSchema(1), { DATABASE_URL, ADMIN_API_TOKEN: 'short' })).map((p) => p.variable)).toEqual([
      'ADMIN_API_TOKEN',
    ]);
  });

  it('refuses one token for both roles: support would be admin', () => {
    const problems = problemsOf(() => loadConfig(serviceEnvSchema(1), { DATABASE_URL, ADMIN_API_TOKEN: ADMIN, SUPPORT_API_TOKEN: ADMIN }));
    expect(problems).toEqual([{ variable: 'SUPPORT_API_TOKEN', message: 'must differ from ADMIN_API_TOKEN' }]);
  });

  describe('identity (DESIGN.md, Identity in production)', () => {
    const JWT = {
      IDENTITY_MODE: 'jwt',
      IDENTITY_JWT_ISSUER: 'https://accounts.shop.example/',
      IDENTITY_JWT_AUDIENCE: 'shop-api',
      IDENTITY_JWT_JWKS_URL: 'https://accounts.shop.example/.well-known/jwks.json',
    };

    it('reads the jwt settings, with customer_id as the default claim', () => {
      expect(loadConfig(serviceEnvSchema(1), { DATABASE_URL, ...JWT })).toMatchObject({ ...JWT, IDENTITY_JWT_CLAIM: 'customer_id' });
      expect(loadConfig(serviceEnvSchema(1), { DATABASE_URL, ...JWT, IDENTITY_JWT_CLAIM: 'sub' }).IDENTITY_JWT_CLAIM).toBe('sub');
    });

    it('lists each jwt setting that is missing in jwt mode', () => {
      expect(problemsOf(() => loadConfig(serviceEnvSchema(1), { DATABASE_URL, IDENTITY_MODE: 'jwt' }))).toEqual([
        { variable: 'IDENTITY_JWT_ISSUER', message: 'is required when IDENTITY_MODE=jwt' },
        { variable: 'IDENTITY_JWT_AUDIENCE', message: 'is required when IDENTITY_MODE=jwt' },
        { variable: 'IDENTITY_JWT_JWKS_URL', message: 'is required when IDENTITY_MODE=jwt' },
      ]);
    });

    it('refuses an unknown mode and a key set URL that is not http(s)', () => {
      expect(problemsOf(() => loadConfig(serviceEnvSchema(1), { DATABASE_URL, IDENTITY_MODE: 'trust-me' })).map((p) => p.variable)).toEqual(['IDENTITY_MODE']);
      expect(problemsOf(() => loadConfig(serviceEnvSchema(1), { DATABASE_URL, ...JWT, IDENTITY_JWT_JWKS_URL: 'file:///etc/jwks.json' }))).toEqual([
        { variable: 'IDENTITY_JWT_JWKS_URL', message: 'must be an http:// or https:// URL' },
      ]);
    });

    it('takes the key set over http only in development and test', () => {
      const local = { DATABASE_URL, ...JWT, IDENTITY_JWT_JWKS_URL: 'http://127.0.0.1:9000/jwks.json' };
      expect(loadConfig(serviceEnvSchema(1), { ...local, NODE_ENV: 'test' }).IDENTITY_JWT_JWKS_URL).toBe(local.IDENTITY_JWT_JWKS_URL);
      for (const NODE_ENV of ['production', 'staging']) {
        expect(problemsOf(() => loadConfig(serviceEnvSchema(1), { ...local, NODE_ENV, ADMIN_API_TOKEN: ADMIN, SUPPORT_API_TOKEN: SUPPORT }))).toEqual([
          { variable: 'IDENTITY_JWT_JWKS_URL', message: 'must be https:// outside development and test' },
        ]);
      }
    });

    it('needs no jwt settings in header mode', () => {
      expect(loadConfig(serviceEnvSchema(1), { DATABASE_URL, IDENTITY_MODE: 'header' }).IDENTITY_MODE).toBe('header');
    });
  });

  describe('in production', () => {
    it('requires both tokens', () => {
      const problems = problemsOf(() => loadConfig(serviceEnvSchema(1), { NODE_ENV: 'production', DATABASE_URL }));
      const message = 'is required with NODE_ENV=production (only development and test fall back to the local tokens)';
      expect(problems).toEqual([
        { variable: 'ADMIN_API_TOKEN', message },
        { variable: 'SUPPORT_API_TOKEN', message },
      ]);
    });

    it('lists the missing tokens beside every other bad variable', () => {
      const problems = problemsOf(() => loadConfig(serviceEnvSchema(1), { NODE_ENV: 'production', PORT: 'abc', DATABASE_POOL_MAX: 'x' }));
      expect(problems.map((p) => p.variable).sort()).toEqual(['ADMIN_API_TOKEN', 'DATABASE_POOL_MAX', 'DATABASE_URL', 'PORT', 'SUPPORT_API_TOKEN']);
    });

    it('refuses the printed local tokens', () => {
      const problems = problemsOf(() =>
        loadConfig(serviceEnvSchema(1), { NODE_ENV: 'production', DATABASE_URL, ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN, SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN }),
      );
      expect(problems.map((p) => p.variable)).toEqual(['ADMIN_API_TOKEN', 'SUPPORT_API_TOKEN']);
    });

    it('starts with both tokens set', () => {
      const config = loadConfig(serviceEnvSchema(1), { NODE_ENV: 'production', DATABASE_URL, ADMIN_API_TOKEN: ADMIN, SUPPORT_API_TOKEN: SUPPORT });
      expect(config).toMatchObject({ NODE_ENV: 'production', ADMIN_API_TOKEN: ADMIN, SUPPORT_API_TOKEN: SUPPORT });
    });
  });

  describe('in any environment but development and test', () => {
    it.each(['staging', 'preview', 'production'])('requires both tokens, and refuses the printed ones, with NODE_ENV=%s', (NODE_ENV) => {
      const missing = problemsOf(() => loadConfig(serviceEnvSchema(1), { NODE_ENV, DATABASE_URL }));
      expect(missing.map((p) => p.variable)).toEqual(['ADMIN_API_TOKEN', 'SUPPORT_API_TOKEN']);
      expect(missing[0]!.message).toContain(`NODE_ENV=${NODE_ENV}`);
      const printed = problemsOf(() =>
        loadConfig(serviceEnvSchema(1), { NODE_ENV, DATABASE_URL, ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN, SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN }),
      );
      expect(printed.map((p) => p.message)).toEqual([expect.stringMatching(/^must not be a printed local default/), expect.stringMatching(/^must not be a printed local default/)]);
      expect(loadConfig(serviceEnvSchema(1), { NODE_ENV, DATABASE_URL, ADMIN_API_TOKEN: ADMIN, SUPPORT_API_TOKEN: SUPPORT }).NODE_ENV).toBe(NODE_ENV);
    });

    it.each(['development', 'test'])('falls back to the local tokens with NODE_ENV=%s', (NODE_ENV) => {
      expect(loadConfig(serviceEnvSchema(1), { NODE_ENV, DATABASE_URL })).toMatchObject({ ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN, SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN });
    });

    it.each(['Production', 'PROD', 'staging env', ''.padEnd(3, ' ')])('refuses NODE_ENV=%j, which the production checks would not recognise', (NODE_ENV) => {
      expect(problemsOf(() => loadConfig(serviceEnvSchema(1), { NODE_ENV, DATABASE_URL, ADMIN_API_TOKEN: ADMIN, SUPPORT_API_TOKEN: SUPPORT }))).toEqual([
        { variable: 'NODE_ENV', message: 'must be a lowercase name such as development, test, staging or production' },
      ]);
    });
  });

  it('reports Cloud Run\'s revision (K_REVISION) as its version, unless SERVICE_VERSION is set', () => {
    expect(loadConfig(serviceEnvSchema(1), { DATABASE_URL, K_REVISION: 'cart-00042-xyz' }).SERVICE_VERSION).toBe('cart-00042-xyz');
    expect(loadConfig(serviceEnvSchema(1), { DATABASE_URL, K_REVISION: 'cart-00042-xyz', SERVICE_VERSION: '4f2a9c1' }).SERVICE_VERSION).toBe('4f2a9c1');
  });
});
