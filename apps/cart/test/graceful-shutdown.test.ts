import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, useTestDatabase, type TestDatabase } from '@shop/testing';
import { JOHN } from './cart-test-app';

const ROOT = resolve(import.meta.dirname, '../../..');

let db: TestDatabase;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  db = await useTestDatabase();
  await db.pool.query(`INSERT INTO cart.customers (customer_id, name, email) VALUES ($1, 'John Smith', 'john@example.com')`, [JOHN]);
});

afterAll(() => {
  // Only if the test failed before the process exited: never leave the service running.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; service output:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end();
  });
}

function openEvents(port: number): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/cart/events', headers: { 'X-Customer-Id': JOHN } }, done);
    req.on('error', fail);
    req.end();
  });
}

describe('cart service process', () => {
  it('on SIGTERM ends open event streams and exits 0 promptly', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'apps/cart/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await waitFor('GET / to answer 200', async () => (await getStatus(port, '/')) === 200, 30_000);

    const stream = await openEvents(port);
    expect(stream.statusCode).toBe(200);
    let received = '';
    stream.on('data', (d: Buffer) => (received += d.toString()));
    const streamEnded = once(stream, 'end');
    await waitFor('the first cart event', async () => received.includes('event: cart'), 5_000);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await streamEnded;
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    // Well inside the shutdown timeout: the open stream did not hold the drain.
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(output).toMatch(/received SIGTERM[\s\S]*shutdown complete/);
  }, 60_000);
});
