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
