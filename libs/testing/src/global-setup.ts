import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { applyMigrations, dropDatabase, ensureDatabase, withClient, withDatabase } from '@shop/db';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test server, for CREATE/DROP DATABASE. */
    pgAdminUrl: string;
    /** A database with every migration applied; each test file clones it. */
    pgTemplate: string;
    /** Prefix of every database this run creates, so teardown can find strays. */
    pgRunPrefix: string;
  }
}

/**
 * Runs once per `vitest run`: starts embedded PostgreSQL unless `DATABASE_URL` names a server, and builds
 * one migrated template database. Test files then clone it (`CREATE DATABASE … TEMPLATE`), which takes
 * milliseconds and isolates every file from every other.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: RunningPostgres | undefined;
  let adminUrl = process.env['DATABASE_URL'];
  if (!adminUrl) {
    server = await startEmbeddedPostgres({
      dataDir: join(tmpdir(), `shop-test-pg-${randomBytes(4).toString('hex')}`),
      persistent: false,
      durable: false,
    });
    adminUrl = server.url;
  }
  const prefix = `shop_t${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const template = `${prefix}_template`;
  await ensureDatabase(adminUrl, template);
  await applyMigrations(withDatabase(adminUrl, template));
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgRunPrefix', prefix);
  const serverUrl = adminUrl;
  return async function teardown() {
    const { rows } = await withClient(serverUrl, (c) => c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]));
    for (const { datname } of rows) await dropDatabase(serverUrl, datname);
    await server?.stop();
  };
}
