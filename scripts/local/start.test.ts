// `npm start` seen from outside, as a user runs it: a real `node --import tsx scripts/start.ts` in its own process group,
// embedded PostgreSQL in a fresh folder, the eight services on their fixed ports, Ctrl-C as SIGINT to the group.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN_TOKEN } from '@shop/config';
import { SERVICES } from '@shop/contracts';
import { freePort } from '@shop/testing';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BANNER = 'All eight services are ready';
const SERVICE_PORTS = Object.values(SERVICES).map((s) => ({ name: s.name, port: s.localPort }));
const ADMIN = { Authorization: `Bearer ${LOCAL_ADMIN_TOKEN}` };

interface StartRun {
  child: ChildProcess;
  spawnedAt: number;
  /** When the banner first appeared in the output, measured here rather than trusted from the banner. */
  bannerAt?: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  state: string;
  /** Start time in clock ticks since boot: with the pid, names a process even if the pid is reused. */
  startTicks: string;
  cmdline: string;
}

let dataDir = '';
let pgPort = 0;
const runs: StartRun[] = [];
/** Every process seen under a start run, by pid → start ticks: the postgres children rename their command line. */
const seenProcesses = new Map<number, string>();
let customer: { customer_id: string; name: string; email: string } | undefined;

function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // What vitest and the test harness set is not what a user's shell has: NODE_ENV=test, a test DATABASE_URL…
  for (const key of Object.keys(env)) {
    if (/^(VITEST.*|TEST|NODE_ENV|NODE_OPTIONS|DATABASE_URL|PORT|EVENT_TRANSPORT|PUBSUB_EMULATOR_HOST|ADMIN_API_TOKEN|SUPPORT_API_TOKEN)$/.test(key)) {
      delete env[key];
    }
  }
  return {
    ...env,
    // Whatever the services spawn must find the Node 24 this test runs on, not the system's Node 20.
    PATH: `${dirname(process.execPath)}:${env['PATH'] ?? ''}`,
    SHOP_DATA_DIR: dataDir,
    PG_PORT: String(pgPort),
  };
}

function spawnStart(): StartRun {
  // Exactly what `npm start` runs (package.json): one Node process with tsx as its loader.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, like a terminal's foreground job: SIGINT to the group is Ctrl-C.
    detached: true,
  });
  let output = '';
  const run: StartRun = {
    child,
    spawnedAt: performance.now(),
    output: () => output,
    exited: new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal }))),
  };
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (run.bannerAt === undefined && output.includes(BANNER)) run.bannerAt = performance.now();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  runs.push(run);
  return run;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tail = (run: StartRun) => `--- last output of npm start ---\n${run.output().slice(-4_000)}`;
const hasExited = (run: StartRun) => run.child.exitCode !== null || run.child.signalCode !== null;

async function waitForBanner(run: StartRun, timeoutMs: number): Promise<number> {
  const deadline = run.spawnedAt + timeoutMs;
  while (run.bannerAt === undefined) {
    if (hasExited(run)) throw new Error(`npm start exited (${run.child.exitCode ?? run.child.signalCode}) before the banner\n${tail(run)}`);
    if (performance.now() > deadline) throw new Error(`no "${BANNER}" within ${timeoutMs / 1000} s\n${tail(run)}`);
    await sleep(50);
  }
  return (run.bannerAt - run.spawnedAt) / 1000;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    // 0.0.0.0, as start.ts checks: it also collides with a listener on 127.0.0.1 (PostgreSQL's).
    server.listen(port, '0.0.0.0', () => server.close(() => resolvePort(true)));
  });
}

async function busyPorts(ports: { name: string; port: number }[]): Promise<string[]> {
  const free = await Promise.all(ports.map((p) => isPortFree(p.port)));
  return ports.filter((_, i) => !free[i]).map((p) => `${p.name} (${p.port})`);
}

function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name in parentheses may hold spaces; the fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      entries.push({ pid: Number(name), state: fields[0]!, ppid: Number(fields[1]), startTicks: fields[19]!, cmdline });
    } catch {
      // exited while being read
    }
  }
  return entries;
}

function environOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}

/** Adds every live descendant of `run` to `seenProcesses`. */
function recordDescendants(run: StartRun): void {
  const all = listProcesses();
  const queue = [run.child.pid!];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const p of all.filter((e) => e.ppid === pid)) {
      seenProcesses.set(p.pid, p.startTicks);
      queue.push(p.pid);
    }
  }
}

/**
 * Live processes of this test's runs: descendants seen earlier, anything naming the data folder on its command
 * line (PostgreSQL's `-D`), and anything started with this SHOP_DATA_DIR (the services from `dist/apps/`).
 */
function processesOfThisRun(): ProcessEntry[] {
  const marker = `SHOP_DATA_DIR=${dataDir}\0`;
  return listProcesses().filter(
    (p) =>
      p.state !== 'Z' &&
      p.pid !== process.pid &&
      (seenProcesses.get(p.pid) === p.startTicks || p.cmdline.includes(dataDir) || environOf(p.pid).includes(marker)),
  );
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Ctrl-C, then waits until the start process, everything it started and every port it held are gone. */
async function interrupt(run: StartRun, withinMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }> {
  recordDescendants(run);
  const sentAt = performance.now();
  killGroup(run.child.pid, 'SIGINT');
  const deadline = sentAt + withinMs;
  const exit = await Promise.race([run.exited, sleep(withinMs).then(() => undefined)]);
  if (!exit) throw new Error(`npm start did not exit within ${withinMs / 1000} s of SIGINT\n${tail(run)}`);
  let leftovers = processesOfThisRun();
  let busy = await busyPorts([...SERVICE_PORTS, { name: 'PostgreSQL', port: pgPort }]);
  while ((leftovers.length || busy.length) && performance.now() < deadline) {
    await sleep(100);
    leftovers = processesOfThisRun();
    busy = await busyPorts([...SERVICE_PORTS, { name: 'PostgreSQL', port: pgPort }]);
  }
  const stillThere = leftovers.map((p) => `${p.pid} ${p.cmdline}`);
  expect(stillThere, `processes left ${withinMs / 1000} s after SIGINT\n${tail(run)}`).toEqual([]);
  expect(busy, `ports still taken ${withinMs / 1000} s after SIGINT`).toEqual([]);
  return { ...exit, seconds: (performance.now() - sentAt) / 1000 };
}

/** The supervisor ran its own ordered shutdown to the end: services, then PostgreSQL, then the lock. */
function expectCleanExit(run: StartRun, code: number | null): void {
  expect(run.output(), `start.ts did not finish its shutdown ("stopped.")\n${tail(run)}`).toMatch(/start\S*\s+stopped\.\n/);
  expect(code, `exit code after Ctrl-C\n${tail(run)}`).toBe(0);
  expect(existsSync(join(dataDir, 'start.lock')), 'start.lock left behind').toBe(false);
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
}

async function expectAllServicesAnswer(): Promise<void> {
  const statuses = await Promise.all(SERVICE_PORTS.map(async (s) => `${s.name} ${(await get(s.port, '/')).status}`));
  expect(statuses).toEqual(SERVICE_PORTS.map((s) => `${s.name} 200`));
}

beforeAll(async () => {
  const busy = await busyPorts(SERVICE_PORTS);
  if (busy.length) throw new Error(`npm start needs ports 3000–3007, but these are taken by another program: ${busy.join(', ')}`);
  dataDir = await mkdtemp(join(tmpdir(), 'shop-start-test-'));
  // Under root, PostgreSQL runs as the `postgres` user, who must be able to reach its folder inside this one.
  chmodSync(dataDir, 0o755);
  pgPort = await freePort();
});

afterAll(async () => {
  // An aborted test must not leave a shop running: the start groups, then anything of theirs that escaped them
  // (the services and PostgreSQL's children each lead their own group).
  for (const run of runs) if (!hasExited(run)) killGroup(run.child.pid, 'SIGKILL');
  for (const p of processesOfThisRun()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (dataDir && processesOfThisRun().length && Date.now() < deadline) await sleep(100);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 30_000);

describe('npm start', () => {
  it('prints the ready banner within 30 s of a cold start and every service answers GET / with 200', async () => {
    const run = spawnStart();
    const seconds = await waitForBanner(run, 30_000);
    const reported = /All eight services are ready \(([\d.]+) s\)/.exec(run.output())?.[1];
    console.log(`npm start, cold (fresh data folder): banner after ${seconds.toFixed(1)} s from spawn (start.ts reports ${reported ?? '?'} s)`);
    recordDescendants(run);
    await expectAllServicesAnswer();
  }, 45_000);

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
    const second = spawnStart();
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
    const first = runs[0]!;
    const { code, seconds } = await interrupt(first, 10_000);
    console.log(`npm start, Ctrl-C: everything stopped after ${seconds.toFixed(1)} s`);
    expectCleanExit(first, code);
  }, 20_000);

  it('starts again on the same data folder with the customer written before, and exits 0 on Ctrl-C', async () => {
    expect(customer, 'no customer was written by the earlier test').toBeDefined();
    const run = spawnStart();
    const seconds = await waitForBanner(run, 30_000);
    console.log(`npm start, warm (same data folder): banner after ${seconds.toFixed(1)} s from spawn`);
    recordDescendants(run);
    await expectAllServicesAnswer();

    const res = await get(3006, `/customers/${customer!.customer_id}`, ADMIN);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ customer_id: customer!.customer_id, name: customer!.name, email: customer!.email });

    const { code } = await interrupt(run, 10_000);
    expectCleanExit(run, code);
  }, 60_000);
});
