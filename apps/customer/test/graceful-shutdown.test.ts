import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';

const ROOT = resolve(import.meta.dirname, '../../..');

let db: TestDatabase;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  db = await useTestDatabase();
});

afterAll(() => {
  // Only if the test failed before the process exited: never leave the service running.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function get(port: number, path: string, agent: Agent, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; connection: string | undefined; body: string }>((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; service output:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('customer service process', () => {
  it('on SIGTERM stops accepting, finishes the request in flight, and exits 0 within 10 s', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'apps/customer/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    await waitFor('GET / to answer 200', async () => (await get(port, '/', agent)).status === 200, 30_000);
    // An idle keep-alive connection, as a load balancer keeps them.
    expect((await get(port, '/healthz', agent)).status).toBe(200);

    // A slow request: the list waits for a lock this test holds on the customers table.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE customer.customers IN ACCESS EXCLUSIVE MODE');
    const slow = get(port, '/customers', agent, supportHeaders);
    await waitFor(
      'the list request to wait for the lock',
      async () =>
        (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'customer' AND wait_event_type = 'Lock'`)).rowCount === 1,
      10_000,
    );

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await waitFor('the listener to close', async () => !(await canConnect(port)), 3_000);
    let settled = false;
    void slow.finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    expect(child.exitCode).toBeNull();

    await locker.query('ROLLBACK');
    await locker.end();
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ items: [], next_cursor: null });
    expect(answer.connection).toBe('close');

    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(output).toMatch(/received SIGTERM[\s\S]*GET \/customers 200[\s\S]*shutdown complete/);
    agent.destroy();
  }, 60_000);
});
