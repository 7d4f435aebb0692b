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
});
