import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { quoteIdent, withDatabase } from '../src/database-url';

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
  const template = options.migrated ? ` TEMPLATE ${quoteIdent(inject('pgTemplate'))}` : '';
  await adminQuery(adminUrl, `CREATE DATABASE ${quoteIdent(name)}${template}`);
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  };
}

/** Runs `fn` with a connected client, closing it afterwards. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    // CREATE DATABASE … TEMPLATE fails while another file copies the template at the same instant.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  });
}
