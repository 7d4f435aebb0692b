import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/client';
import { useScratchDatabase, withClient } from './scratch-database';

const scratch = await useScratchDatabase({ migrated: false });
const errors: Error[] = [];
const db = createDatabase(scratch.url, { poolMax: 2, onError: (err) => errors.push(err) });
afterAll(() => db.close());

describe('createDatabase', () => {
  it('survives the server ending a checked-out client between two statements, and reports it', async () => {
    const client = await db.pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      // As PostgreSQL's shutdown does to every session: the client is checked out and idle (no query running).
      await withClient(scratch.url, (c) => c.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]));
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      expect(uncaught).toEqual([]);
      await expect(client.query('SELECT 1')).rejects.toThrow();
    } finally {
      process.off('uncaughtException', onUncaught);
      client.release(true);
    }
    // The pool replaces the broken connection.
    expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('keeps one connection open once idle, and closes the others', async () => {
    const idle = createDatabase(scratch.url, { poolMax: 3, idleTimeoutMs: 50 });
    try {
      // Three statements at once need three connections.
      const pids = await Promise.all(
        [1, 2, 3].map(async () => (await idle.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')).rows[0]!.pid),
      );
      expect(new Set(pids).size).toBe(3);
      await expect.poll(() => idle.pool.totalCount, { timeout: 5_000 }).toBe(1);
      // The kept connection answers the next look: no new backend started for it.
      const { rows } = await idle.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(pids).toContain(rows[0]!.pid);
    } finally {
      await idle.close();
    }
  });
});
