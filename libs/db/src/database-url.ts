/** Returns `url` with its database name replaced, keeping credentials, host and parameters. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Quotes an SQL identifier (database, schema, table names never come from users, but quote anyway). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Creates `database` on the server of `adminUrl` if missing, optionally from a template.
 * Ignores the race where a concurrent caller created it first.
 */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return;
    const from = template ? ` TEMPLATE ${quoteIdent(template)}` : '';
    await client.query(`CREATE DATABASE ${quoteIdent(database)}${from}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04' && err.code !== '23505') throw err; // already exists: someone else won
    });
  } finally {
    await client.end();
  }
}
