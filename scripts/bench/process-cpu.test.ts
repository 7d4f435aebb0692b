import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@shop/testing';
import { CLOCK_TICKS_PER_SECOND, findPostgresServer, processTimes, treeCpuMs } from './process-cpu';

// A parent that starts a child, lets it burn ~300 ms of CPU, waits for it to end (reaps it), then reports the
// child's own CPU time and idles until its stdin closes.
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', "const t0 = process.cpuUsage(); while (process.cpuUsage(t0).user < 300000); const u = process.cpuUsage(t0); console.log((u.user + u.system) / 1000)"]);
let out = '';
child.stdout.on('data', (d) => (out += d));
child.on('exit', () => { console.log('reaped ' + out.trim()); process.stdin.resume(); });
process.stdin.on('end', () => process.exit(0));
`;

describe('process-cpu', () => {
  it('reads this process from /proc: its parent and a CPU time that only grows', () => {
    const first = processTimes(process.pid)!;
    expect(first.ppid).toBe(process.ppid);
    expect(CLOCK_TICKS_PER_SECOND).toBeGreaterThan(0);
    let x = 0;
    for (let i = 0; i < 5_000_000; i++) x += i;
    expect(x).toBeGreaterThan(0);
    expect(processTimes(process.pid)!.ownMs).toBeGreaterThanOrEqual(first.ownMs);
  });

  it('keeps counting the CPU of a child after it ended and was reaped', async () => {
    const parent = spawn(process.execPath, ['-e', PARENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: parent.stdout! });
      const [line] = (await once(lines, 'line')) as [string];
      const childMs = Number(line.replace('reaped ', ''));
      expect(childMs).toBeGreaterThanOrEqual(300);
      // The child is gone: its time now lives in the parent's cutime/cstime, and the tree still holds it
      // (one clock tick of rounding per field either way).
      const tick = 1000 / CLOCK_TICKS_PER_SECOND;
      expect(processTimes(parent.pid!)!.reapedChildrenMs).toBeGreaterThanOrEqual(childMs - 2 * tick);
      expect(treeCpuMs(parent.pid!)!).toBeGreaterThanOrEqual(childMs - 2 * tick);
    } finally {
      parent.stdin!.end();
      await once(parent, 'exit');
    }
  });

  it('answers undefined for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    expect(treeCpuMs(child.pid!)).toBeUndefined();
  });

  it('finds the postmaster of the test database server, parent of the backend serving a connection', async () => {
    const db = await useTestDatabase({ poolMax: 1 });
    const server = await findPostgresServer(db.url);
    expect(server.counted).toBe(true);
    if (!server.counted) return;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(processTimes(rows[0]!.pid)!.ppid).toBe(server.postmaster);
    } finally {
      await client.end();
    }
  });
});
