import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { createDatabase, quoteIdent, withDatabase, type Database } from '@shop/db';

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Clones the migrated template into a fresh database of this test file's own. */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `${inject('pgRunPrefix')}_${randomBytes(5).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(inject('pgTemplate'))}`);
  const url = withDatabase(adminUrl, name);
  const db = createDatabase(url, { poolMax: options.poolMax ?? 10 });
  return {
    ...db,
    url,
    name,
    async drop() {
      await db.close();
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
  };
}

/** `createTestDatabase` for the whole file: dropped after its last test. */
export async function useTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const db = await createTestDatabase(options);
  afterAll(() => db.drop());
  return db;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // CREATE DATABASE from a template fails while anyone else copies it at the same instant; retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  } finally {
    await client.end();
  }
}
