import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@shop/config';
import { emailConfigSchema, emailFunctionConfigSchema } from './config';

const DATABASE_URL = 'postgresql://localhost/shop';
const TOKENS = { ADMIN_API_TOKEN: 'a'.repeat(20), SUPPORT_API_TOKEN: 'b'.repeat(20) };
const SMTP_URL = 'smtps://mail.example.com:465';

function variablesRefused(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.variable).sort();
  }
  throw new Error('expected a ConfigError');
}

describe('email configuration under NODE_ENV=production', () => {
  it('refuses the in-memory transport and OIDC verification off, in the service', () => {
    const env = { DATABASE_URL, NODE_ENV: 'production', ...TOKENS, SMTP_URL, EVENT_TRANSPORT: 'memory', PUBSUB_VERIFY_OIDC: 'false', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' };
    expect(variablesRefused(() => loadConfig(emailConfigSchema, env))).toEqual(['EVENT_TRANSPORT', 'PUBSUB_VERIFY_OIDC']);
  });

  it('refuses them in the Cloud Function too, where an unset NODE_ENV means production', () => {
    expect(variablesRefused(() => loadConfig(emailFunctionConfigSchema, { DATABASE_URL, SMTP_URL, EVENT_TRANSPORT: 'memory' }))).toEqual(['EVENT_TRANSPORT']);
    expect(variablesRefused(() => loadConfig(emailFunctionConfigSchema, { DATABASE_URL, SMTP_URL, PUBSUB_VERIFY_OIDC: 'false', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }))).toEqual([
      'PUBSUB_VERIFY_OIDC',
    ]);
    expect(loadConfig(emailFunctionConfigSchema, { DATABASE_URL, SMTP_URL, NODE_ENV: 'test', EVENT_TRANSPORT: 'memory' }).EVENT_TRANSPORT).toBe('memory');
  });

  it('requires SMTP_URL in any environment but development and test', () => {
    expect(variablesRefused(() => loadConfig(emailConfigSchema, { DATABASE_URL, NODE_ENV: 'staging', ...TOKENS }))).toEqual(['SMTP_URL']);
    expect(loadConfig(emailConfigSchema, { DATABASE_URL, NODE_ENV: 'test' }).SMTP_URL).toBeUndefined();
  });
});

describe('SMTP TLS settings', () => {
  it('requires STARTTLS unless SMTP_ALLOW_PLAINTEXT=true', () => {
    expect(loadConfig(emailConfigSchema, { DATABASE_URL, SMTP_URL: 'smtp://mail.example.com:587' }).SMTP_ALLOW_PLAINTEXT).toBe(false);
    expect(loadConfig(emailConfigSchema, { DATABASE_URL, SMTP_URL: 'smtp://mail.example.com:587', SMTP_ALLOW_PLAINTEXT: 'true' }).SMTP_ALLOW_PLAINTEXT).toBe(true);
    expect(variablesRefused(() => loadConfig(emailConfigSchema, { DATABASE_URL, SMTP_ALLOW_PLAINTEXT: 'maybe' }))).toEqual(['SMTP_ALLOW_PLAINTEXT']);
  });

  it.each(['requireTLS=false', 'ignoreTLS=true', 'opportunisticTLS=true', 'secure=false', 'RequireTls=false'])(
    'refuses SMTP_URL parameters that would decide TLS behind the setting\'s back: %s',
    (parameter) => {
      expect(variablesRefused(() => loadConfig(emailConfigSchema, { DATABASE_URL, SMTP_URL: `smtp://mail.example.com:587?${parameter}` }))).toEqual(['SMTP_URL']);
      expect(variablesRefused(() => loadConfig(emailFunctionConfigSchema, { DATABASE_URL, SMTP_URL: `smtps://mail.example.com:465?${parameter}` }))).toEqual(['SMTP_URL']);
    },
  );

  it('keeps other parameters, such as the TLS server name', () => {
    const url = 'smtp://mail.example.com:587?tls.servername=mail.example.com';
    expect(loadConfig(emailConfigSchema, { DATABASE_URL, SMTP_URL: url }).SMTP_URL).toBe(url);
  });
});
