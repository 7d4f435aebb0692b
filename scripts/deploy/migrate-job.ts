// The Cloud Run migration job (the `migrate` image; Terraform: google_cloud_run_v2_job.migrate), run by
// deploy.yml before new service revisions roll out:
//   1. applies the SQL migrations in prisma/migrations as the migration user (DATABASE_URL), exactly as
//      scripts/migrate.ts does locally;
//   2. creates or updates one role per service and grants it its own schema only (service-roles.ts),
//      reading each service's role and password from SERVICE_DATABASE_URL_<SERVICE>.
// Locally: DATABASE_URL=… SERVICE_DATABASE_URL_CART=… … npx tsx scripts/deploy/migrate-job.ts
import pg from 'pg';
import { SERVICE_NAMES } from '@shop/contracts';
import { applyMigrations } from '@shop/db';
import { applyServiceRoles, serviceRolesFromEnv } from './service-roles';

const url = process.env['DATABASE_URL'];
if (!url) {
  console.error('DATABASE_URL (the migration user) is required');
  process.exit(2);
}
try {
  // Checked before migrating, so a misconfigured job changes nothing.
  const roles = serviceRolesFromEnv(SERVICE_NAMES, process.env);
  const { applied } = await applyMigrations(url, { log: (m) => console.log(m) });
  console.log(applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
  const client = new pg.Client({ connectionString: url, application_name: 'migrate' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await applyServiceRoles(client, roles, (m) => console.log(m));
  } finally {
    await client.end();
  }
  console.log(`service roles ready: ${roles.map((r) => r.role).join(', ')}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
