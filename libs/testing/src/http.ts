import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { createLogger, type Logger } from '@shop/observability';

/** The common config an app's `createApp` takes, with the local tokens. */
export const testServiceConfig = {
  ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN,
  SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN,
  SERVICE_VERSION: 'test',
  BODY_LIMIT_BYTES: 64 * 1024,
} as const;

export const adminHeaders = { Authorization: `Bearer ${LOCAL_ADMIN_TOKEN}` } as const;
export const supportHeaders = { Authorization: `Bearer ${LOCAL_SUPPORT_TOKEN}` } as const;

/** A logger that writes nothing unless `TEST_LOG` is set. */
export function testLogger(service = 'test'): Logger {
  return createLogger({ service, level: process.env['TEST_LOG'] ? 'debug' : 'silent' });
}

/** JSON request init for `app.request`. */
export function json(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
