import pg from 'pg';

/**
 * One service's database login: the role it connects as (from its DATABASE_URL) and the schema it owns
 * (named after the service, as DESIGN.md's "one schema per service" and libs/events lay it out).
 */
export interface ServiceRole {
  service: string;
  schema: string;
  role: string;
  password: string;
}

/** The variable the migration job reads each service's database URL from: `SERVICE_DATABASE_URL_<SERVICE>`. */
export function serviceUrlVariable(service: string): string {
  return `SERVICE_DATABASE_URL_${service.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * Reads every service's role and password from `SERVICE_DATABASE_URL_<SERVICE>` (the same secret the
 * service itself gets as DATABASE_URL, so the two cannot drift). Lists every missing or unusable variable.
 */
export function serviceRolesFromEnv(services: readonly string[], env: Record<string, string | undefined>): ServiceRole[] {
  const problems: string[] = [];
  const roles: ServiceRole[] = [];
  for (const service of services) {
    const variable = serviceUrlVariable(service);
    const value = env[variable];
    if (!value) {
      problems.push(`${variable} is not set`);
      continue;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push(`${variable} is not a URL`);
      continue;
    }
    const role = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    if (!role || !password) problems.push(`${variable} has no user name or no password`);
    else roles.push({ service, schema: service, role, password });
  }
  const duplicate = roles.find((r, i) => roles.findIndex((o) => o.role === r.role) !== i);
  // A shared role would give one service another's tables: exactly what the per-service roles prevent.
  if (duplicate) problems.push(`two services connect as role ${duplicate.role}; every service needs its own`);
  if (problems.length) throw new Error(`cannot set up the service roles:\n  ${problems.join('\n  ')}`);
  return roles;
}

type Queryable = Pick<pg.ClientBase, 'query' | 'escapeIdentifier' | 'escapeLiteral'>;

/**
 * Makes each service's role able to log in with its password and to read and write the tables of its own
 * schema, and nothing else: no other schema, no DDL (migrations run as the migration user), no CREATE in
 * `public`. Idempotent, so the migration job runs it after every migration: ALTER DEFAULT PRIVILEGES covers
 * tables the migration user creates later, the explicit grants cover what already exists.
 * Runs as the migration user, who owns the schemas (it created them) and may create roles.
 */
export async function applyServiceRoles(client: Queryable, roles: readonly ServiceRole[], log: (message: string) => void = () => undefined): Promise<void> {
  const id = (name: string) => client.escapeIdentifier(name);
  const { rows: dbRows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  const database = dbRows[0]!.db;
  // PostgreSQL 15+ already refuses this; older servers (and Cloud SQL's default `public`) do not.
  await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  for (const { service, schema, role, password } of roles) {
    const { rowCount: hasSchema } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!hasSchema) throw new Error(`schema ${schema} of service ${service} does not exist: is its migration missing?`);
    const { rowCount: exists } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    // DDL takes no bind parameters; the literal is escaped by the driver. Re-running rotates the password.
    const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${client.escapeLiteral(password)}`;
    await client.query(exists ? `ALTER ROLE ${id(role)} WITH ${attributes}` : `CREATE ROLE ${id(role)} WITH ${attributes}`);
    await client.query(`GRANT CONNECT ON DATABASE ${id(database)} TO ${id(role)}`);
    await client.query(`GRANT USAGE ON SCHEMA ${id(schema)} TO ${id(role)}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${id(schema)} TO ${id(role)}`);
    await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${id(schema)} TO ${id(role)}`);
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${id(schema)} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${id(role)}`);
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${id(schema)} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${id(role)}`);
    log(`role ${role}: ${exists ? 'updated' : 'created'}, schema ${schema} only`);
  }
}
