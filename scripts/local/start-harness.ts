// Runs `npm start` from outside, as a user does: a real `node --import tsx scripts/start.ts` in its own process
// group, Ctrl-C as SIGINT to the group, and a census of every process it left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { SERVICES } from '@shop/contracts';

export const BANNER = 'All eight services are ready';
export const SERVICE_PORTS = Object.values(SERVICES).map((s) => ({ name: s.name, port: s.localPort }));
/** What `npm start` starts: the eight services and the storefront (apps/storefront, port 3008). */
export const STOREFRONT_PORT = 3008;
export const APP_PORTS = [...SERVICE_PORTS, { name: 'storefront', port: STOREFRONT_PORT }];

export interface StartRun {
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

export interface StartHarnessOptions {
  /** The checkout `npm start` runs in. */
  root: string;
  /** The data folder it uses (SHOP_DATA_DIR, or the checkout's own `.data` when `ownDataDir`). */
  dataDir: string;
  pgPort: number;
  /** Leave SHOP_DATA_DIR unset, as a user does, so start.ts picks `<root>/.data` itself. */
  ownDataDir?: boolean;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
}

/** Every service answers `GET /`, and the storefront its catalog there. */
export async function expectAllServicesAnswer(): Promise<void> {
  const statuses = await Promise.all(APP_PORTS.map(async (s) => `${s.name} ${(await get(s.port, '/')).status}`));
  expect(statuses).toEqual(APP_PORTS.map((s) => `${s.name} 200`));
}

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    // 0.0.0.0, as start.ts checks: it also collides with a listener on 127.0.0.1 (PostgreSQL's).
    server.listen(port, '0.0.0.0', () => server.close(() => resolvePort(true)));
  });
}

export async function busyPorts(ports: { name: string; port: number }[]): Promise<string[]> {
  const free = await Promise.all(ports.map((p) => isPortFree(p.port)));
  return ports.filter((_, i) => !free[i]).map((p) => `${p.name} (${p.port})`);
}

/** What vitest and the test harness set is not what a user's shell has: NODE_ENV=test, a test DATABASE_URL… */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(VITEST.*|TEST|NODE_ENV|NODE_OPTIONS|DATABASE_URL|PORT|EVENT_TRANSPORT|PUBSUB_EMULATOR_HOST|ADMIN_API_TOKEN|SUPPORT_API_TOKEN|SHOP_DATA_DIR)$/.test(key)) {
      delete env[key];
    }
  }
  // Whatever the services spawn must find the Node 24 this test runs on, not the system's Node 20.
  return { ...env, PATH: `${dirname(process.execPath)}:${env['PATH'] ?? ''}` };
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

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

const hasExited = (run: StartRun) => run.child.exitCode !== null || run.child.signalCode !== null;
export const tail = (run: StartRun) => `--- last output of npm start ---\n${run.output().slice(-4_000)}`;

/** One folder's `npm start` runs, and everything they started. */
export function createStartHarness(options: StartHarnessOptions) {
  const runs: StartRun[] = [];
  /** Every process seen under a start run, by pid → start ticks: the postgres children rename their command line. */
  const seenProcesses = new Map<number, string>();
  const { root, dataDir, pgPort } = options;
  const allPorts = () => [...APP_PORTS, { name: 'PostgreSQL', port: pgPort }];

  function spawnStart(): StartRun {
    const env = { ...userEnv(), PG_PORT: String(pgPort), ...(options.ownDataDir ? {} : { SHOP_DATA_DIR: dataDir }) };
    // Exactly what `npm start` runs (package.json): one Node process with tsx as its loader.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env,
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

  async function waitForBanner(run: StartRun, timeoutMs: number): Promise<number> {
    const deadline = run.spawnedAt + timeoutMs;
    while (run.bannerAt === undefined) {
      if (hasExited(run)) throw new Error(`npm start exited (${run.child.exitCode ?? run.child.signalCode}) before the banner\n${tail(run)}`);
      if (performance.now() > deadline) throw new Error(`no "${BANNER}" within ${timeoutMs / 1000} s\n${tail(run)}`);
      await sleep(50);
    }
    return (run.bannerAt - run.spawnedAt) / 1000;
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
   * Live processes of these runs: descendants seen earlier, anything naming the data folder on its command line
   * (PostgreSQL's `-D`, which may be where a link in the data folder points), and the services: started with this
   * SHOP_DATA_DIR, or from this checkout's `dist/apps/` when the checkout is the test's own.
   */
  function processesOfThisRun(): ProcessEntry[] {
    // A checkout of its own (a clone in a private folder) names its services on their command lines.
    const names = [dataDir, realPostgresDir(), options.ownDataDir ? root : undefined].filter((n): n is string => Boolean(n));
    const marker = `SHOP_DATA_DIR=${dataDir}\0`;
    return listProcesses().filter(
      (p) =>
        p.state !== 'Z' &&
        p.pid !== process.pid &&
        (seenProcesses.get(p.pid) === p.startTicks || names.some((n) => p.cmdline.includes(n)) || (!options.ownDataDir && environOf(p.pid).includes(marker))),
    );
  }

  function realPostgresDir(): string | undefined {
    try {
      return realpathSync(join(dataDir, 'postgres'));
    } catch {
      return undefined;
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
    let busy = await busyPorts(allPorts());
    while ((leftovers.length || busy.length) && performance.now() < deadline) {
      await sleep(100);
      leftovers = processesOfThisRun();
      busy = await busyPorts(allPorts());
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

  /** An aborted test must not leave a shop running: the start groups, then anything of theirs that escaped them. */
  async function killEverything(): Promise<void> {
    for (const run of runs) if (!hasExited(run)) killGroup(run.child.pid, 'SIGKILL');
    for (const p of processesOfThisRun()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 10_000;
    while (processesOfThisRun().length && Date.now() < deadline) await sleep(100);
  }

  return { runs, spawnStart, waitForBanner, recordDescendants, interrupt, expectCleanExit, killEverything, realPostgresDir };
}
