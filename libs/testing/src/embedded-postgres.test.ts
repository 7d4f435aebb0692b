import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded-postgres';

const server = await startEmbeddedPostgres({ dataDir: join(tmpdir(), `shop-restart-test-${randomBytes(4).toString('hex')}`), persistent: false, durable: false });
afterAll(() => server.stop());

const query = async (sql: string): Promise<pg.QueryResult> => {
  const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
};

describe('restart', () => {
  it('is down for the time asked, then serves the same data on the same port and URL', { timeout: 60_000 }, async () => {
    await query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    const port = server.port;
    const restarted = server.restart(2_000);
    // Once the old server is gone, connecting is refused until the new one is ready.
    let refused = 0;
    const deadline = Date.now() + 1_500;
    while (Date.now() < deadline) {
      await query('SELECT 1').then(
        () => undefined,
        () => refused++,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(refused).toBeGreaterThan(0);
    await restarted;
    expect(server.port).toBe(port);
    expect((await query('SELECT n FROM kept')).rows).toEqual([{ n: 42 }]);
  });
});
