// Applies the SQL migrations to DATABASE_URL (the local start does this itself; the Cloud Run job runs this).
import { applyMigrations } from '@shop/db';

const url = process.env['DATABASE_URL'];
if (!url) {
  console.error('DATABASE_URL is required');
  process.exit(2);
}
const { applied } = await applyMigrations(url, { log: (m) => console.log(m) });
console.log(applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
