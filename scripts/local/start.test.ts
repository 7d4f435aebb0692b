// `npm start` seen from outside, as a user runs it: a real `node --import tsx scripts/start.ts` in its own process group,
// embedded PostgreSQL in a fresh folder, the eight services and the storefront on their fixed ports, Ctrl-C as SIGINT
// to the group.
// One file for every run of it: they need the same fixed ports, so they must not run side by side.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, lstatSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN_TOKEN } from '@shop/config';
import { freePort } from '@shop/testing';
import { APP_PORTS, busyPorts, createStartHarness, expectAllServicesAnswer, get, SERVICE_PORTS, sleep, STOREFRONT_PORT, tail, userEnv } from './start-harness';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ADMIN = { Authorization: `Bearer ${LOCAL_ADMIN_TOKEN}` };

let dataDir = '';
let harness: ReturnType<typeof createStartHarness>;
let customer: { customer_id: string; name: string; email: string } | undefined;

beforeAll(async () => {
  const busy = await busyPorts(APP_PORTS);
  if (busy.length) throw new Error(`npm start needs ports 3000–3008, but these are taken by another program: ${busy.join(', ')}`);
  dataDir = await mkdtemp(join(tmpdir(), 'shop-start-test-'));
  // Under root, PostgreSQL runs as the `postgres` user, who must be able to reach its folder inside this one.
  chmodSync(dataDir, 0o755);
  harness = createStartHarness({ root: ROOT, dataDir, pgPort: await freePort() });
});

afterAll(async () => {
  await harness?.killEverything();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

describe('npm start', () => {
  it('prints the ready banner within 30 s of a cold start and every service answers GET / with 200', async () => {
    const run = harness.spawnStart();
    const seconds = await harness.waitForBanner(run, 30_000);
    const reported = /All eight services are ready \(([\d.]+) s\)/.exec(run.output())?.[1];
    console.log(`npm start, cold (fresh data folder): banner after ${seconds.toFixed(1)} s from spawn (start.ts reports ${reported ?? '?'} s)`);
    harness.recordDescendants(run);
    await expectAllServicesAnswer();
  }, 45_000);

  it('prints "Open http://localhost:3008 to shop" before any other URL, and the storefront shows the seeded shop', async () => {
    const output = harness.runs[0]!.output();
    const lines = output.split('\n');
    const open = lines.indexOf('Open http://localhost:3008 to shop');
    expect(open, tail(harness.runs[0]!)).toBeGreaterThanOrEqual(0);
    // The banner opens with it: the services' URLs all follow it.
    const banner = lines.slice(open, lines.indexOf('Ctrl-C stops everything.', open));
    expect(lines[open - 1]).toBe('');
    expect(banner.filter((l) => /http:\/\/localhost:\d+/.test(l))).toHaveLength(1 + SERVICE_PORTS.length);

    const catalog = await get(STOREFRONT_PORT, '/');
    expect(catalog.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await catalog.text()).toContain('Logo mug');
    // The customers to sign in as come from the customer service, with the support token start.ts passed on.
    expect(await (await get(STOREFRONT_PORT, '/sign-in')).text()).toContain('John Smith');
  });

  it('answers malformed JSON with 400 and an unknown route with 404, both as problem documents', async () => {
    const malformed = await fetch('http://127.0.0.1:3006/customers', {
      method: 'POST',
      headers: { ...ADMIN, 'Content-Type': 'application/json' },
      body: '{"name":',
      signal: AbortSignal.timeout(10_000),
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await malformed.json()).toMatchObject({ status: 400 });

    for (const s of SERVICE_PORTS) {
      const unknown = await get(s.port, '/no-such-route');
      expect(unknown.status, s.name).toBe(404);
      expect(unknown.headers.get('content-type'), s.name).toMatch(/^application\/problem\+json/);
      expect(await unknown.json(), s.name).toMatchObject({ status: 404 });
    }
  });

  it('shows availability for the seeded LIMITED-SNEAKER once the seed events have reached product', async () => {
    const deadline = Date.now() + 20_000;
    let available: number | null | undefined;
    while (Date.now() < deadline) {
      const page = (await (await get(3001, '/products?limit=200')).json()) as { items: { sku: string; available: number | null }[] };
      available = page.items.find((p) => p.sku === 'LIMITED-SNEAKER')?.available;
      if (typeof available === 'number') break;
      await sleep(250);
    }
    expect(available, 'LIMITED-SNEAKER availability in GET /products after 20 s').toEqual(expect.any(Number));
  }, 30_000);

  it('refuses a second start on the same data folder, exiting non-zero with "already running"', async () => {
    const second = harness.spawnStart();
    const exit = await Promise.race([second.exited, sleep(20_000).then(() => undefined)]);
    expect(exit, `the second npm start did not exit within 20 s\n${tail(second)}`).toBeDefined();
    expect(exit!.code, tail(second)).not.toBe(0);
    expect(second.output()).toContain('already running');
    await expectAllServicesAnswer();
  }, 30_000);

  it('answers 201 to a customer created by the admin', async () => {
    const res = await fetch('http://127.0.0.1:3006/customers', {
      method: 'POST',
      headers: { ...ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Start Test', email: `start-test-${randomUUID()}@example.com` }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(201);
    customer = (await res.json()) as typeof customer;
  });

  it('stops every process it started and frees every port within 10 s of Ctrl-C', async () => {
    const first = harness.runs[0]!;
    const { code, seconds } = await harness.interrupt(first, 10_000);
    console.log(`npm start, Ctrl-C: everything stopped after ${seconds.toFixed(1)} s`);
    harness.expectCleanExit(first, code);
  }, 20_000);

  it('starts again on the same data folder with the customer written before, and exits 0 on Ctrl-C', async () => {
    expect(customer, 'no customer was written by the earlier test').toBeDefined();
    const run = harness.spawnStart();
    const seconds = await harness.waitForBanner(run, 30_000);
    console.log(`npm start, warm (same data folder): banner after ${seconds.toFixed(1)} s from spawn`);
    harness.recordDescendants(run);
    await expectAllServicesAnswer();

    const res = await get(3006, `/customers/${customer!.customer_id}`, ADMIN);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ customer_id: customer!.customer_id, name: customer!.name, email: customer!.email });

    const { code } = await harness.interrupt(run, 10_000);
    harness.expectCleanExit(run, code);
  }, 60_000);
});

/**
 * DESIGN.md "Running": `npm start` and `npm test` work from any folder a user can clone into, including one only
 * its owner can enter (mode 0700, as root's home and every `mktemp -d`), run as root as on these machines. There
 * PostgreSQL's `postgres` user can reach neither the binaries in `node_modules` nor a data folder in the clone.
 */
describe('npm start and npm test in a private folder', () => {
  let privateDir = '';
  let clone = '';
  let privateHarness: ReturnType<typeof createStartHarness>;

  beforeAll(async () => {
    privateDir = await mkdtemp(join(tmpdir(), 'shop-private-'));
    expect(statSync(privateDir).mode & 0o777, 'mkdtemp makes a folder only its owner can enter').toBe(0o700);
    clone = join(privateDir, 'shop');
    cloneWorkingTree(ROOT, clone);
    // What `npm ci` would install, as hard links (the same files, new folders inside the private one), and its
    // postinstall step. A real `npm ci` would take minutes and test npm rather than this project.
    run('cp', ['-al', join(ROOT, 'node_modules'), join(clone, 'node_modules')], ROOT);
    run(process.execPath, ['scripts/prisma-generate.mjs'], clone);
    privateHarness = createStartHarness({ root: clone, dataDir: join(clone, '.data'), pgPort: await freePort(), ownDataDir: true });
  }, 120_000);

  afterAll(async () => {
    await privateHarness?.killEverything();
    // The cluster may live outside the clone, where the link in its data folder points.
    const cluster = privateHarness?.realPostgresDir();
    if (cluster && !cluster.startsWith(privateDir)) await rm(cluster, { recursive: true, force: true });
    if (privateDir) await rm(privateDir, { recursive: true, force: true });
  }, 30_000);

  it('starts all eight services from a fresh clone in a 0700 folder, keeps its data through the clone\'s .data, and stops cleanly', async () => {
    const started = privateHarness.spawnStart();
    const seconds = await privateHarness.waitForBanner(started, 90_000);
    console.log(`npm start in a private folder, cold: banner after ${seconds.toFixed(1)} s from spawn`);
    privateHarness.recordDescendants(started);
    await expectAllServicesAnswer();
    expect(started.output(), tail(started)).not.toMatch(/EACCES|\n\s+at /);
    const seeded = await get(3006, '/customers/550e8400-e29b-41d4-a716-446655440000', ADMIN);
    expect(seeded.status).toBe(200);

    const link = join(clone, '.data', 'postgres');
    if (process.getuid?.() === 0) {
      // Root's server user cannot enter the clone: the data folder is a link to where it can.
      expect(lstatSync(link).isSymbolicLink(), 'the data folder is a link out of the private folder').toBe(true);
      expect(privateHarness.realPostgresDir()).not.toContain(privateDir);
    }
    const { code } = await privateHarness.interrupt(started, 10_000);
    privateHarness.expectCleanExit(started, code);
  }, 120_000);

  it('runs a database test of npm test from the same clone, with its temporary folder private too', async () => {
    const privateTmp = join(privateDir, 'tmp');
    run('mkdir', ['-m', '700', privateTmp], clone);
    const child = spawn(join(clone, 'node_modules', '.bin', 'vitest'), ['run', 'libs/db/test/transaction.test.ts'], {
      cwd: clone,
      env: { ...userEnv(), TMPDIR: privateTmp, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await Promise.race([new Promise<number | null>((r) => child.once('exit', r)), sleep(90_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(code, output.slice(-3_000)).toBe(0);
    expect(output).toMatch(/Tests\s+\d+ passed/);
    expect(output).not.toMatch(/failed/);
  }, 120_000);
});

/** A clone of `from` as it is now: its commit, plus the changes not committed yet (a clean checkout in CI). */
function cloneWorkingTree(from: string, to: string): void {
  run('git', ['clone', '--quiet', from, to], from);
  const diff = spawnSync('git', ['diff', '--binary', 'HEAD'], { cwd: from, maxBuffer: 256 * 1024 * 1024 });
  if (diff.stdout.length) run('git', ['apply', '--whitespace=nowarn'], to, diff.stdout);
  const untracked = spawnSync('git', ['ls-files', '--others', '--exclude-standard', '-z'], { cwd: from, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of untracked) run('cp', ['--parents', file, to], from);
}

function run(command: string, args: string[], cwd: string, input?: Buffer): void {
  const result = spawnSync(command, args, { cwd, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.error?.message}`);
}
