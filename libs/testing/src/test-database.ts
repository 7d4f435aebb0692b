import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { createDatabase, dropDatabase, ensureDatabase, withDatabase, type Database } from '@shop/db';

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Clones the migrated template into a fresh database of this test file's own. */
export async function createTestDatabase(options: { poolMax?: number; connectTimeoutMs?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `${inject('pgRunPrefix')}_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(adminUrl, name, inject('pgTemplate'));
  const url = withDatabase(adminUrl, name);
  const db = createDatabase(url, { poolMax: options.poolMax ?? 10, ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}) });
  return {
    ...db,
    url,
    name,
    async drop() {
      await db.close();
      await dropDatabase(adminUrl, name);
    },
  };
}

/** `createTestDatabase` for the whole file: dropped after its last test. */
export async function useTestDatabase(options: { poolMax?: number; connectTimeoutMs?: number } = {}): Promise<TestDatabase> {
  const db = await createTestDatabase(options);
  afterAll(() => db.drop());
  return db;
}
