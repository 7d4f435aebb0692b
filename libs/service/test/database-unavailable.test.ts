// A database that is away is a passing condition: the answer is 503 with Retry-After, a problem document,
// never a 500 (issue 12: clients and load balancers must try again, and a 500 reads as a bug). Real failures
// only: a pool pointed at a port nothing listens on, and a query whose backend PostgreSQL terminates.
import { describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@shop/db';
import { defineRoute } from '@shop/http';
import { adminHeaders, freePort, useTestDatabase } from '@shop/testing';
import { createServiceApp } from '../src';
import { testAppContext } from '../src/test';

const db = await useTestDatabase({ poolMax: 3 });

/** A service app whose one route runs `sql` through `database`'s Prisma client. */
function appQuerying(database: Database, sql: string) {
  const { app } = createServiceApp(testAppContext('product', db), { service: 'product', description: 'test' });
  defineRoute(app, { method: 'get', path: '/query', summary: 'Runs a query', access: { staff: ['admin'] }, responses: { 200: { description: 'ok' } } }, async (c) => {
    await database.prisma.$queryRawUnsafe(sql);
    return c.json({ ok: true });
  });
  return app;
}

async function expectUnavailable(res: Response): Promise<void> {
  const body = (await res.json()) as Record<string, unknown>;
  expect({ status: res.status, retryAfter: res.headers.get('Retry-After'), type: res.headers.get('Content-Type') }).toEqual({
    status: 503,
    retryAfter: '2',
    type: 'application/problem+json',
  });
  expect(body).toMatchObject({ status: 503, title: 'Service unavailable', type: 'https://problems.shop.example/unavailable' });
}

describe('a request while the database is away', () => {
  it('answers 503 with Retry-After when no server listens', async () => {
    const away = createDatabase(`postgresql://postgres@127.0.0.1:${await freePort()}/shop`, { poolMax: 1, connectTimeoutMs: 1_000 });
    try {
      await expectUnavailable(await appQuerying(away, 'SELECT 1').request('/query', { headers: adminHeaders }));
    } finally {
      await away.close();
    }
  });

  it('answers 503 with Retry-After when PostgreSQL terminates the connection mid-query', async () => {
    const victim = createDatabase(db.url, { poolMax: 1, applicationName: 'terminated-by-test' });
    try {
      const pending = appQuerying(victim, 'SELECT pg_sleep(20)').request('/query', { headers: adminHeaders });
      for (let killed = 0, tries = 0; killed === 0; tries++) {
        if (tries > 200) throw new Error(`the query never started: ${JSON.stringify((await db.pool.query(`SELECT application_name, state, query FROM pg_stat_activity`)).rows)}`);
        await new Promise((r) => setTimeout(r, 50));
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'terminated-by-test' AND query LIKE '%pg_sleep%'`,
        );
        killed = rows[0]!.n;
      }
      await expectUnavailable(await pending);
    } finally {
      await victim.close();
    }
  });

  it('still answers 500 for a query that is simply wrong', async () => {
    const res = await appQuerying(db, 'SELECT * FROM no_such_table').request('/query', { headers: adminHeaders });
    expect(res.status).toBe(500);
    expect(res.headers.get('Retry-After')).toBeNull();
  });
});

describe('readiness while every connection of the pool is busy', () => {
  it('answers ready: the ping has a connection of its own, not a place in the pool’s queue', async () => {
    const busy = createDatabase(db.url, { poolMax: 1, connectTimeoutMs: 1_000 });
    const held = await busy.pool.connect();
    try {
      await expect(busy.ping()).resolves.toBeUndefined();
    } finally {
      held.release();
      await busy.close();
    }
  });
});
