import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';
import { serviceEnvSchema } from './service-env';

const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/shop';

function problemsOf(fn: () => unknown): { variable: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('lists every bad variable in one error', () => {
    const env = { PORT: 'eighty', DATABASE_URL: 'mysql://db/shop', LOG_LEVEL: 'loud', DATABASE_POOL_MAX: '0', SHUTDOWN_TIMEOUT_MS: 'soon' };
    const problems = problemsOf(() => loadConfig(serviceEnvSchema(3000), env));
    expect(problems.map((p) => p.variable).sort()).toEqual(['DATABASE_POOL_MAX', 'DATABASE_URL', 'LOG_LEVEL', 'PORT', 'SHUTDOWN_TIMEOUT_MS']);
  });

  it('names each variable in the message, one per line', () => {
    try {
      loadConfig(serviceEnvSchema(3000), { PORT: '70000' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).name).toBe('ConfigError');
      expect((err as Error).message).toMatch(/^Invalid configuration:\n {2}- PORT: .+\n {2}- DATABASE_URL: .+$/);
    }
  });

  it('treats an empty variable as unset, so the default applies', () => {
    expect(loadConfig(serviceEnvSchema(3000), { DATABASE_URL, PORT: '', LOG_LEVEL: '' })).toMatchObject({ PORT: 3000, LOG_LEVEL: 'info' });
  });

  it('reports a variable an empty value leaves missing as missing', () => {
    expect(problemsOf(() => loadConfig(serviceEnvSchema(3000), { DATABASE_URL: '' })).map((p) => p.variable)).toEqual(['DATABASE_URL']);
  });

  it('works with any schema and ignores variables it does not name', () => {
    expect(loadConfig(z.object({ A: z.string() }), { A: 'x', B: 'y' })).toEqual({ A: 'x' });
  });
});
