import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { applyMigrations, MigrationError, MIGRATIONS_DIR, readMigrations } from '../src/migrate';
import { createScratchDatabase, withClient, type ScratchDatabase } from './scratch-database';
import { findSchemaDrift } from './schema-drift';

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/** An empty database, dropped when the test ends. */
async function emptyDatabase(): Promise<ScratchDatabase> {
  const db = await createScratchDatabase({ migrated: false });
  onTestFinished(() => db.drop());
  return db;
}

/** A copy of the repository's migrations the test may edit, removed when the test ends. */
async function migrationsCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name));
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

async function recorded(url: string): Promise<MigrationRow[]> {
  return withClient(url, async (c) => (await c.query<MigrationRow>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name')).rows);
}

const names = async (dir?: string) => (await readMigrations(dir)).map((m) => m.name);

describe('applyMigrations on an empty database', () => {
  it('creates every table of schema.prisma', async () => {
    const db = await emptyDatabase();
    const { applied } = await applyMigrations(db.url);
    expect(applied).toEqual(await names());
    expect(await findSchemaDrift(db.url)).toEqual([]);
  });

  it('creates _prisma_migrations with the columns and types Prisma uses', async () => {
    const db = await emptyDatabase();
    await applyMigrations(db.url);
    const columns = await withClient(db.url, async (c) => {
      const { rows } = await c.query(
        `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '_prisma_migrations'
          ORDER BY ordinal_position`,
      );
      return rows;
    });
    const column = (name: string, type: string, length: number | null, nullable: boolean, byDefault: string | null = null) => ({
      column_name: name,
      data_type: type,
      length,
      is_nullable: nullable ? 'YES' : 'NO',
      column_default: byDefault,
    });
    expect(columns).toEqual([
      column('id', 'character varying', 36, false),
      column('checksum', 'character varying', 64, false),
      column('finished_at', 'timestamp with time zone', null, true),
      column('migration_name', 'character varying', 255, false),
      column('logs', 'text', null, true),
      column('rolled_back_at', 'timestamp with time zone', null, true),
      column('started_at', 'timestamp with time zone', null, false, 'now()'),
      column('applied_steps_count', 'integer', null, false, '0'),
    ]);
    const primaryKey = await withClient(db.url, async (c) => {
      const { rows } = await c.query<{ column_name: string }>(
        `SELECT k.column_name FROM information_schema.table_constraints t
           JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
          WHERE t.table_name = '_prisma_migrations' AND t.constraint_type = 'PRIMARY KEY'`,
      );
      return rows.map((r) => r.column_name);
    });
    expect(primaryKey).toEqual(['id']);
  });

  it('records each migration with the SHA-256 of its file, finished, with one step and no logs', async () => {
    const db = await emptyDatabase();
    const before = new Date();
    await applyMigrations(db.url);
    const rows = await recorded(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(await names());
    for (const row of rows) {
      const file = await readFile(join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row).toMatchObject({
        checksum: createHash('sha256').update(file).digest('hex'),
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
      });
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(row.started_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
  });

  it('applies nothing and records nothing on a second run', async () => {
    const db = await emptyDatabase();
    await applyMigrations(db.url);
    const first = await recorded(db.url);
    expect(await applyMigrations(db.url)).toEqual({ applied: [] });
    expect(await recorded(db.url)).toEqual(first);
  });

  it('applies each migration exactly once when two runs race', async () => {
    const db = await emptyDatabase();
    const [a, b] = await Promise.all([applyMigrations(db.url), applyMigrations(db.url)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(await names());
    const rows = await recorded(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(await names());
  });
});

describe('applyMigrations on a database migrated before', () => {
  it('refuses a migration whose file changed after it was applied, naming it', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await applyMigrations(db.url, { dir });
    const [first] = await names(dir);
    await appendFile(join(dir, first!, 'migration.sql'), '\n-- an afterthought\n');
    const run = applyMigrations(db.url, { dir });
    await expect(run).rejects.toThrow(MigrationError);
    await expect(run).rejects.toThrow(`migration ${first} was modified after it was applied`);
  });

  it('accepts an applied migration checked out with Windows line endings, as Prisma does', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await applyMigrations(db.url, { dir });
    for (const name of await names(dir)) {
      const file = join(dir, name, 'migration.sql');
      await writeFile(file, (await readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    }
    expect(await applyMigrations(db.url, { dir })).toEqual({ applied: [] });
  });

  it('accepts the unpadded checksum early Prisma versions recorded', async () => {
    const db = await emptyDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    // A script whose digest has a byte below 0x10, so its unpadded hex differs from the padded one.
    let sql = 'SELECT 1;\n';
    for (let n = 0; !createHash('sha256').update(sql).digest().some((byte) => byte < 0x10); n++) sql = `SELECT 1; -- ${n}\n`;
    await addMigration(dir, '20260101000000_one', sql);
    await applyMigrations(db.url, { dir });
    const unpadded = [...createHash('sha256').update(sql).digest()].map((byte) => byte.toString(16)).join('');
    await withClient(db.url, (c) => c.query('UPDATE "_prisma_migrations" SET checksum = $1', [unpadded]));
    expect(await applyMigrations(db.url, { dir })).toEqual({ applied: [] });
  });

  it('rolls a failing migration back completely, records nothing, and applies it once fixed', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    const broken = '29990101000000_broken';
    await addMigration(dir, broken, 'CREATE TABLE "public"."half_done" ("id" INTEGER);\nINSERT INTO "public"."half_done" VALUES (1);\nSELECT 1 / 0;\n');
    await expect(applyMigrations(db.url, { dir })).rejects.toThrow(`migration ${broken} failed: division by zero`);
    const table = await withClient(db.url, async (c) => (await c.query(`SELECT to_regclass('public.half_done') AS t`)).rows[0].t);
    expect(table).toBeNull();
    const rows = await recorded(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(await names());

    await writeFile(join(dir, broken, 'migration.sql'), 'CREATE TABLE "public"."half_done" ("id" INTEGER);\n');
    expect(await applyMigrations(db.url, { dir })).toEqual({ applied: [broken] });
  });

  it('refuses to run while a failed migration is recorded, even one no longer on disk', async () => {
    const db = await emptyDatabase();
    await applyMigrations(db.url);
    await withClient(db.url, (c) =>
      c.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES (gen_random_uuid()::text, repeat('0', 64), '20000101000000_gone', now(), 0)`,
      ),
    );
    await expect(applyMigrations(db.url)).rejects.toThrow('migration 20000101000000_gone failed earlier and was not rolled back');
  });
});
