import pg from 'pg';
import { quoteIdent } from './database-url';

/** Runs `fn` with a client of its own on `url`, closing it afterwards (statements a pool must not hold). */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates `database` on the server of `adminUrl` if missing, optionally as a copy of `template`. Ignores the
 * race where a concurrent caller created it first, and waits out another session copying the same template
 * (PostgreSQL refuses a second copy at that instant).
 */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return;
    const from = template ? ` TEMPLATE ${quoteIdent(template)}` : '';
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(database)}${from}`);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === '42P04' || code === '23505') return; // already exists: someone else won
        if (code !== '55006' || attempt >= 20) throw err; // 55006: the template is being copied right now
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  });
}

/** Drops `database`, disconnecting whoever is still on it. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
}
