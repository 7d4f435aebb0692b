// npm run bench:footprint — what the local system costs: the time from nothing to all eight services and the storefront ready
// (embedded PostgreSQL start, migrations, seed, bundles, processes), the memory of every service and of
// PostgreSQL once idle, and the CPU the idle system still burns (timers, polls, PostgreSQL's own background
// work), each beside its target (issue 13). Baseline in the same run: an empty Node process's RSS.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations, ensureDatabase, withDatabase } from '@shop/db';
import { startEmbeddedPostgres } from '@shop/testing/embedded-postgres';
import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { freePort } from '@shop/testing';
import { buildProject } from '../build';
import { startService, stopServices, waitUntilReady } from '../local/supervisor';
import { seed } from '../seed';
import { round } from './bench-database';
import { startServiceProcesses } from './service-processes';

/**
 * Seconds between "all ready" and the measurements: start-up work settles (the seed's events delivered, the
 * first statistics), and each service's one-off idle memory trim and V8's follow-up collections are over
 * (about half a minute after start-up on a busy two-core machine).
 */
const SETTLE_SECONDS = Number(process.env['FOOTPRINT_IDLE_SECONDS'] ?? 60);
/**
 * The window over which idle CPU is read, reported per 20 s. A minute, not 20 s: the idle services' periodic
 * work runs every 5, 30 and 60 s, and /proc counts each process's time in 10 ms ticks, so two 20 s windows
 * of the same system differed by a third.
 */
const CPU_WINDOW_SECONDS = Number(process.env['FOOTPRINT_CPU_SECONDS'] ?? 60);
/** Issue 13's targets on this machine class. */
const TARGETS = { serviceRssMiB: 90, systemPssMiB: 700, idleCpuSPer20s: 0.2 };
/** Kernel clock ticks per second (`getconf CLK_TCK`; 100 on Linux/x86 and arm64). */
const CLOCK_TICKS = 100;
const print = (line: string) => console.log(line);
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** A memory figure of a process from /proc, in MiB: `VmRSS` (status) or `Pss` (smaps_rollup). */
function memoryMiB(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  const line = procField(String(pid), file)
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}
const rssMiB = (pid: number) => memoryMiB(pid, 'status', 'VmRSS');
/** Resident memory with each shared page split among the processes sharing it: these add up to the machine's use. */
const pssMiB = (pid: number) => memoryMiB(pid, 'smaps_rollup', 'Pss');

function procField(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** CPU seconds of a process from /proc/<pid>/stat: its own (utime + stime) and its reaped children's (cutime + cstime). */
function cpuSeconds(pid: number): { own: number; reaped: number } | undefined {
  const stat = procField(String(pid), 'stat');
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: the fields after its last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = (i: number) => Number(fields[i - 3]) / CLOCK_TICKS;
  return { own: tick(14) + tick(15), reaped: tick(16) + tick(17) };
}

/** The PostgreSQL server of `dataDir`: its postmaster (the one process naming the folder) and its children. */
function postgresProcesses(dataDir: string): { postmaster: number; children: number[] } {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const postmaster = all.find((pid) => procField(pid, 'cmdline').includes(dataDir));
  if (!postmaster) throw new Error(`no PostgreSQL process names ${dataDir}`);
  const parentOf = (pid: string) => /^PPid:\s+(\d+)/m.exec(procField(pid, 'status'))?.[1] ?? '';
  return { postmaster: Number(postmaster), children: all.filter((pid) => parentOf(pid) === postmaster).map(Number) };
}

/** What a PostgreSQL process is: a backend by its connection's application_name, else its title (checkpointer, walwriter…). */
async function postgresRoles(url: string): Promise<Map<number, string>> {
  const client = new pg.Client({ connectionString: url, application_name: 'footprint-bench' });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; role: string }>(
      `SELECT pid, CASE WHEN backend_type = 'client backend' THEN 'backend ' || coalesce(nullif(application_name, ''), '?') ELSE backend_type END AS role
       FROM pg_stat_activity`,
    );
    return new Map(rows.map((r) => [r.pid, r.role]));
  } finally {
    await client.end();
  }
}

/** A snapshot of the CPU every measured process has used so far, in seconds by key. */
function cpuSnapshot(services: Record<string, number>, dataDir: string): Map<string, number> {
  const snapshot = new Map<string, number>();
  for (const [name, pid] of Object.entries(services)) snapshot.set(name, cpuSeconds(pid)?.own ?? 0);
  const { postmaster, children } = postgresProcesses(dataDir);
  const master = cpuSeconds(postmaster);
  snapshot.set(`pg:${postmaster}`, master?.own ?? 0);
  // Backends that ended (a connection closed) are reaped by the postmaster: their time moves here.
  snapshot.set('pg:reaped', master?.reaped ?? 0);
  for (const pid of children) snapshot.set(`pg:${pid}`, cpuSeconds(pid)?.own ?? 0);
  return snapshot;
}

async function emptyNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 2000)']);
  await new Promise((r) => setTimeout(r, 500));
  const rss = rssMiB(child.pid!);
  child.kill();
  return rss;
}

const started = performance.now();
const dataDir = join(tmpdir(), `shop-footprint-${randomBytes(4).toString('hex')}`);
const server = await startEmbeddedPostgres({ dataDir, persistent: false, durable: true });
const databaseUrl = withDatabase(server.url, 'shop');
await ensureDatabase(server.url, 'shop');
await applyMigrations(databaseUrl);
await seed(databaseUrl);
const services = await startServiceProcesses(databaseUrl, { LOG_LEVEL: 'warn' });
// The storefront too, as npm start runs it: the system a user starts is the eight services and the shop.
await buildProject('apps/storefront', { quiet: true });
const storefront = startService({
  name: 'storefront',
  index: 8,
  port: await freePort(),
  entry: join(import.meta.dirname, '..', '..', 'dist', 'apps', 'storefront', 'main.js'),
  env: {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    ADMIN_API_TOKEN: LOCAL_ADMIN_TOKEN,
    SUPPORT_API_TOKEN: LOCAL_SUPPORT_TOKEN,
    ...Object.fromEntries(Object.entries(services.urls).map(([name, url]) => [`${name.toUpperCase()}_SERVICE_URL`, url])),
  },
});
await waitUntilReady([storefront], 60_000);
const pids: Record<string, number> = { ...services.pids, storefront: storefront.child.pid! };
const coldStart = (performance.now() - started) / 1000;
try {
  await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
  const memory = Object.entries(pids).map(([name, pid]) => ({ name, rss: rssMiB(pid), pss: pssMiB(pid) }));
  const pgProcesses = postgresProcesses(dataDir);
  const postgresPss = [pgProcesses.postmaster, ...pgProcesses.children].reduce((sum, pid) => sum + pssMiB(pid), 0);
  const servicesRss = memory.reduce((sum, m) => sum + m.rss, 0);
  const servicesPss = memory.reduce((sum, m) => sum + m.pss, 0);
  const baseline = await emptyNodeRss();

  // Idle CPU: the difference of two snapshots CPU_WINDOW_SECONDS apart; a process started meanwhile counts from 0.
  const before = cpuSnapshot(pids, dataDir);
  await new Promise((r) => setTimeout(r, CPU_WINDOW_SECONDS * 1000));
  const after = cpuSnapshot(pids, dataDir);
  const roles = await postgresRoles(databaseUrl);
  const perProcess: Record<string, number> = {};
  const labelOf = (key: string) => {
    if (!key.startsWith('pg:')) return key;
    if (key === 'pg:reaped') return 'postgres: ended backends';
    const pid = Number(key.slice(3));
    return pid === pgProcesses.postmaster ? 'postgres: postmaster' : `postgres: ${roles.get(pid) ?? 'other'} (${pid})`;
  };
  for (const [key, seconds] of after) {
    const label = labelOf(key);
    perProcess[label] = round((perProcess[label] ?? 0) + seconds - (before.get(key) ?? 0), 3);
  }
  // A process that ended in the window: all its time is now in the postmaster's reaped total, so what it had
  // used before the window comes off that total.
  for (const [key, seconds] of before) {
    if (!after.has(key)) perProcess['postgres: ended backends'] = round((perProcess['postgres: ended backends'] ?? 0) - seconds, 3);
  }
  const scale = 20 / CPU_WINDOW_SECONDS;
  const serviceCpu = Object.keys(pids).reduce((sum, name) => sum + (perProcess[name] ?? 0), 0) * scale;
  const postgresCpu = Object.entries(perProcess).reduce((sum, [label, s]) => sum + (label.startsWith('postgres') ? s : 0), 0) * scale;
  const idleCpu = serviceCpu + postgresCpu;
  const maxRss = Math.max(...memory.map((m) => m.rss));
  const systemPss = servicesPss + postgresPss;

  print(`bench:footprint — cold start to all eight services and the storefront ready: ${round(coldStart, 2)} s (PostgreSQL, migrations, seed, bundles, processes)`);
  print(`memory after ${SETTLE_SECONDS} s idle (target ≤ ${TARGETS.serviceRssMiB} MiB RSS per service):`);
  for (const m of memory) print(`  ${m.name.padEnd(13)} ${String(round(m.rss)).padStart(6)} MiB RSS  ${String(round(m.pss)).padStart(6)} MiB PSS  ${mark(m.rss <= TARGETS.serviceRssMiB)}`);
  print(`  all nine      ${round(servicesRss)} MiB RSS in all (${round(servicesRss / memory.length)} MiB each on average; an empty Node process: ${round(baseline)} MiB)`);
  print(`  PostgreSQL    ${round(postgresPss)} MiB PSS (all its processes, shared memory split among them)`);
  print(`  whole system  ${round(systemPss)} MiB PSS (services and PostgreSQL; target ≤ ${TARGETS.systemPssMiB} MiB: ${mark(systemPss <= TARGETS.systemPssMiB)})`);
  print(`idle CPU over ${CPU_WINDOW_SECONDS} s (CPU-seconds, utime + stime from /proc; other work on the machine does not count):`);
  for (const [label, s] of Object.entries(perProcess).sort((a, b) => b[1] - a[1])) if (s > 0) print(`  ${label.padEnd(48)} ${s.toFixed(3)}`);
  print(`  services ${round(serviceCpu, 3)} + PostgreSQL ${round(postgresCpu, 3)} = ${round(idleCpu, 3)} CPU-s per 20 s (target ≤ ${TARGETS.idleCpuSPer20s}: ${mark(idleCpu <= TARGETS.idleCpuSPer20s)})`);
  console.log(
    JSON.stringify({
      bench: 'footprint',
      cold_start_s: round(coldStart, 2),
      services_rss_mib: round(servicesRss),
      service_rss_mib_avg: round(servicesRss / memory.length),
      service_rss_mib_max: round(maxRss),
      service_rss_mib: Object.fromEntries(memory.map((m) => [m.name, round(m.rss)])),
      service_pss_mib: Object.fromEntries(memory.map((m) => [m.name, round(m.pss)])),
      empty_node_rss_mib: round(baseline),
      postgres_pss_mib: round(postgresPss),
      system_pss_mib: round(systemPss),
      idle_cpu_s_per_20s: round(idleCpu, 3),
      idle_cpu_services_s_per_20s: round(serviceCpu, 3),
      idle_cpu_postgres_s_per_20s: round(postgresCpu, 3),
      idle_cpu_s_by_process: perProcess,
      idle_seconds: SETTLE_SECONDS,
      cpu_window_seconds: CPU_WINDOW_SECONDS,
    }),
  );
} finally {
  await stopServices([storefront], 9_000);
  await services.stop();
  await server.stop();
}
