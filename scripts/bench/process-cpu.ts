// CPU time per process, read from /proc, for benchmarks that report what their work cost and where.
//
// A process's own time is `utime + stime` of /proc/<pid>/stat; the time of its children that have ended and
// been waited for is its `cutime + cstime`. PostgreSQL forks a backend per connection, and backends come and go
// during a run (pools reconnect, autovacuum and parallel workers start and stop): counting only the processes
// alive at the end would lose the work of those that ended. So a server is measured as a tree: every live
// process under its postmaster, each with its reaped children, which adds up to all the work done under it.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import pg from 'pg';

/** Clock ticks per second of the times in /proc/<pid>/stat (`getconf CLK_TCK`; 100 on Linux almost everywhere). */
export const CLOCK_TICKS_PER_SECOND = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** One process's times from /proc/<pid>/stat, in milliseconds. */
export interface ProcessTimes {
  pid: number;
  ppid: number;
  /** The executable's name (`comm`), as `ps` shows it. */
  name: string;
  /** utime + stime: the process's own CPU time. */
  ownMs: number;
  /** cutime + cstime: CPU time of its children that ended and were waited for. */
  reapedChildrenMs: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended meanwhile, or is not ours to read
  }
}

/** The times of one process, or undefined when it is gone (or /proc does not show it). */
export function processTimes(pid: number): ProcessTimes | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The name is in parentheses and may itself hold spaces or parentheses: the fields start after the last ')'.
  const close = stat.lastIndexOf(')');
  const name = stat.slice(stat.indexOf('(') + 1, close);
  // fields[0] is field 3 of proc(5) (state): ppid is field 4, utime…cstime fields 14–17.
  const fields = stat.slice(close + 2).split(' ');
  const ms = (i: number) => (Number(fields[i]) * 1000) / CLOCK_TICKS_PER_SECOND;
  return { pid, ppid: Number(fields[1]), name, ownMs: ms(11) + ms(12), reapedChildrenMs: ms(13) + ms(14) };
}

/** Every process /proc shows, by pid. */
function allProcesses(): Map<number, ProcessTimes> {
  const processes = new Map<number, ProcessTimes>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = processTimes(Number(entry));
    if (times) processes.set(times.pid, times);
  }
  return processes;
}

/** The pids of `root` and every live descendant, from one reading of /proc. */
function treeOf(root: number, processes: ReadonlyMap<number, ProcessTimes>): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes.values()) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    if (!processes.has(pid)) return;
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/**
 * CPU milliseconds spent so far under `root`: its own, every live descendant's, and those of descendants that
 * ended and were waited for (each live process's reaped children). Undefined when `root` is gone.
 */
export function treeCpuMs(root: number, processes: ReadonlyMap<number, ProcessTimes> = allProcesses()): number | undefined {
  if (!processes.has(root)) return undefined;
  return treeOf(root, processes).reduce((sum, pid) => {
    const p = processes.get(pid)!;
    return sum + p.ownMs + p.reapedChildrenMs;
  }, 0);
}

/** A named set of process trees to measure (a service's process, PostgreSQL's postmaster), by root pid. */
export type CpuTargets = Record<string, number>;

/** CPU milliseconds per target at one moment. */
export type CpuSnapshot = Record<string, number>;

/** Reads every target's CPU so far, from one pass over /proc (a target that is gone reads as NaN). */
export function cpuSnapshot(targets: CpuTargets): CpuSnapshot {
  const processes = allProcesses();
  return Object.fromEntries(Object.entries(targets).map(([label, pid]) => [label, treeCpuMs(pid, processes) ?? NaN]));
}

/** CPU milliseconds each target spent between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return Object.fromEntries(Object.keys(before).map((label) => [label, (after[label] ?? NaN) - before[label]!]));
}

/** Measures `targets` from now on: `stop()` answers the CPU milliseconds each spent since. */
export function startCpuMeter(targets: CpuTargets): { stop(): CpuSnapshot } {
  const before = cpuSnapshot(targets);
  return { stop: () => cpuBetween(before, cpuSnapshot(targets)) };
}

/** The postmaster of the server whose data folder is `dataDir`: the process started with `-D <dataDir>`. */
export function postmasterOfDataDir(dataDir: string): number | undefined {
  const names = new Set([dataDir]);
  try {
    names.add(realpathSync(dataDir)); // the embedded server may run from a shared folder the path links to
  } catch {
    // gone already: the path as given is all there is
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = readText(`/proc/${entry}/cmdline`)?.split('\0') ?? [];
    const at = args.indexOf('-D');
    if (at >= 0 && names.has(args[at + 1] ?? '')) return Number(entry);
  }
  return undefined;
}

/** The PostgreSQL server of `dataDir`: its postmaster and every live child (as bench:footprint reads memory per process). */
export function postgresPids(dataDir: string): number[] {
  const postmaster = postmasterOfDataDir(dataDir);
  return postmaster === undefined ? [] : treeOf(postmaster, allProcesses());
}

/** Where a benchmark's PostgreSQL runs: its postmaster's pid, or why its CPU cannot be counted. */
export type PostgresServerProcess = { counted: true; postmaster: number; caveat?: string } | { counted: false; reason: string };

/**
 * Finds the postmaster of the server behind `databaseUrl`. With the data folder known (the embedded server),
 * by its command line. Otherwise (a server given by DATABASE_URL) through a connection: the backend serving it
 * (`pg_backend_pid()`) is a child of the postmaster, if this machine's /proc shows it at all, which it does not
 * for a server on another host, in a container, or run by a user whose processes are hidden from us.
 */
export async function findPostgresServer(databaseUrl: string, dataDir?: string): Promise<PostgresServerProcess> {
  if (dataDir) {
    const postmaster = postmasterOfDataDir(dataDir);
    if (postmaster !== undefined) return { counted: true, postmaster };
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; db: string }>('SELECT pg_backend_pid() AS pid, current_database() AS db');
    const { pid, db } = rows[0]!;
    const backend = processTimes(pid);
    // The same pid here must be that very backend: a PostgreSQL process whose title names our database.
    const title = readText(`/proc/${pid}/cmdline`) ?? '';
    if (!backend || !title.includes(db)) return { counted: false, reason: `its processes are not visible here (backend pid ${pid} is not in this machine's /proc)` };
    const postmaster = processTimes(backend.ppid);
    if (!postmaster) return { counted: false, reason: `the postmaster (pid ${backend.ppid}) is not readable here` };
    return { counted: true, postmaster: postmaster.pid, caveat: 'the whole server behind DATABASE_URL is counted, with whatever else runs on it' };
  } finally {
    await client.end();
  }
}
