// npm run bench:footprint — what the local system costs: the time from nothing to all eight services ready
// (embedded PostgreSQL start, migrations, seed, bundles, processes), and the resident memory (RSS) of every
// service and of PostgreSQL once idle. Baseline in the same run: an empty Node process's RSS.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, ensureDatabase, withDatabase } from '@shop/db';
import { startEmbeddedPostgres } from '@shop/testing/embedded-postgres';
import { seed } from '../seed';
import { round } from './bench-database';
import { startServiceProcesses } from './service-processes';

const IDLE_SECONDS = Number(process.env['FOOTPRINT_IDLE_SECONDS'] ?? 10);
const print = (line: string) => console.log(line);

/** A memory figure of a process from /proc, in MiB: `VmRSS` (status) or `Pss` (smaps_rollup). */
function memoryMiB(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  const line = readFileSync(`/proc/${pid}/${file}`, 'utf8')
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

/** The PostgreSQL server of `dataDir`: its postmaster (the one process naming the folder) and every child. */
function postgresPids(dataDir: string): number[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const masters = new Set(all.filter((pid) => procField(pid, 'cmdline').includes(dataDir)));
  const parentOf = (pid: string) => /^PPid:\s+(\d+)/m.exec(procField(pid, 'status'))?.[1] ?? '';
  return all.filter((pid) => masters.has(pid) || masters.has(parentOf(pid))).map(Number);
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
const pg = await startEmbeddedPostgres({ dataDir, persistent: false, durable: true });
const databaseUrl = withDatabase(pg.url, 'shop');
await ensureDatabase(pg.url, 'shop');
await applyMigrations(databaseUrl);
await seed(databaseUrl);
const services = await startServiceProcesses(databaseUrl, { LOG_LEVEL: 'warn' });
const coldStart = (performance.now() - started) / 1000;
try {
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const perService = Object.entries(services.pids).map(([name, pid]) => [name, rssMiB(pid)] as const);
  const servicesTotal = perService.reduce((sum, [, rss]) => sum + rss, 0);
  const servicesPss = Object.values(services.pids).reduce((sum, pid) => sum + pssMiB(pid), 0);
  const postgres = postgresPids(dataDir).reduce((sum, pid) => sum + pssMiB(pid), 0);
  const baseline = await emptyNodeRss();
  print(`bench:footprint — cold start to all eight services ready: ${round(coldStart, 2)} s (PostgreSQL, migrations, seed, bundles, processes)`);
  for (const [name, rss] of perService) print(`  ${name.padEnd(13)} ${round(rss)} MiB`);
  print(`  services      ${round(servicesTotal)} MiB RSS in all (${round(servicesTotal / perService.length)} MiB each on average; an empty Node process: ${round(baseline)} MiB)`);
  print(`  PostgreSQL    ${round(postgres)} MiB PSS (all its processes, shared memory split among them)`);
  print(`  whole system  ${round(servicesPss + postgres)} MiB PSS (services and PostgreSQL)`);
  console.log(
    JSON.stringify({
      bench: 'footprint',
      cold_start_s: round(coldStart, 2),
      services_rss_mib: round(servicesTotal),
      service_rss_mib_avg: round(servicesTotal / perService.length),
      empty_node_rss_mib: round(baseline),
      postgres_pss_mib: round(postgres),
      system_pss_mib: round(servicesPss + postgres),
      idle_seconds: IDLE_SECONDS,
    }),
  );
} finally {
  await services.stop();
  await pg.stop();
}
