import type { ServiceName } from '@shop/contracts';
import type { Database } from '@shop/db';
import { createEventRuntime, createMemoryTransport, type EventHandler, type EventRuntime, type Transport } from '@shop/events';
import type { Logger } from '@shop/observability';
import { testLogger, testServiceConfig } from '@shop/testing';
import type { IdentitySettings } from '../service-app';

/** What `createApp` of every service takes, for tests. */
export interface TestAppContext {
  config: typeof testServiceConfig & IdentitySettings;
  db: Database;
  logger: Logger;
  events: EventRuntime;
}

/**
 * An app context over a test database: the local tokens, a quiet logger, and an event runtime (in-memory
 * transport unless one is given). The runtime is not started: tests that need delivery start it.
 */
export function testAppContext(
  service: ServiceName,
  db: Database,
  options: { transport?: Transport; handlers?: EventHandler[]; databaseUrl?: string } = {},
): TestAppContext {
  const logger = testLogger(service);
  const events = createEventRuntime({
    service,
    db,
    databaseUrl: options.databaseUrl ?? '',
    transport: options.transport ?? createMemoryTransport(),
    logger,
    handlers: options.handlers ?? [],
  });
  return { config: testServiceConfig, db, logger, events };
}
