import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { dropDatabase, ensureDatabase, withClient } from '../src/database-admin';
import { withDatabase } from '../src/database-url';

export { withClient };

// Provided by libs/testing's global setup. This lib cannot import @shop/testing (it depends on this lib),
// so the few lines of database handling its tests need live here.
declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    pgRunPrefix: string;
  }
}

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** `createScratchDatabase`, dropped after the file's last test. */
export async function useScratchDatabase(options: { migrated: boolean }): Promise<ScratchDatabase> {
  const database = await createScratchDatabase(options);
  afterAll(() => database.drop());
  return database;
}

/**
 * A new database on the test server: empty, or cloned from the migrated template. Its name carries the
 * run's prefix, so the global teardown removes it even if the test never drops it.
 */
export async function createScratchDatabase(options: { migrated: boolean }): Promise<ScratchDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `${inject('pgRunPrefix')}_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(adminUrl, name, options.migrated ? inject('pgTemplate') : undefined);
  return { url: withDatabase(adminUrl, name), name, drop: () => dropDatabase(adminUrl, name) };
}
