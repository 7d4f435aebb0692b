import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { asCustomer, newCustomer, orderApp, problem, TEE, type OrderTestApp } from './order-test-app';

// DESIGN.md: a repeat with the same Idempotency-Key replays the first answer. These tests break the first
// request where a stored answer and the request's effect could part: a process killed right after the
// commit or right before it, a request slower than any stale-claim window, and 20 repeats at once.

const ROOT = resolve(import.meta.dirname, '../../..');
const CRASH_PRELOAD = resolve(ROOT, 'libs/testing/src/crash-on-commit.ts');
const BUY_NOW_INSERT = 'INSERT INTO "order"\\."buy_now_requests"';

let db: TestDatabase;
let order: OrderTestApp;
const running: ChildProcess[] = [];

beforeAll(async () => {
  db = await useTestDatabase();
  order = await orderApp(db);
});

afterAll(() => {
  // Only when a test failed before its process exited: never leave a service running.
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface OrderProcess {
  port: number;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  output: () => string;
}

/** The order service as a process of its own (`main.ts`), on this file's database, ready to answer. */
async function startOrder(env: Record<string, string> = {}, preload?: string): Promise<OrderProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', ...(preload ? ['--import', preload] : []), 'apps/order/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the order service did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, exited, output: () => output };
}

async function stop(service: OrderProcess): Promise<void> {
  const child = running.find((c) => c.exitCode === null && c.signalCode === null && c.spawnargs.includes('apps/order/src/main.ts'));
  child?.kill('SIGTERM');
  await service.exited;
}

const BODY = { items: [{ product_sku: TEE.sku, quantity: 1 }] };

function buyNowOver(port: number, customerId: string, key: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/orders`, json('POST', BODY, { ...asCustomer(customerId), 'Idempotency-Key': key }) as RequestInit);
}

const buyNow = (customerId: string, key: string) => order.app.request('/orders', json('POST', BODY, { ...asCustomer(customerId), 'Idempotency-Key': key }));

/** The customer's buy-now requests and the `order-requested` events written for them. */
async function effectsOf(customerId: string): Promise<{ requests: string[]; events: number }> {
  const requests = await db.pool.query<{ request_id: string }>('SELECT request_id::text FROM "order".buy_now_requests WHERE customer_id = $1', [customerId]);
  const events = await db.pool.query(`SELECT 1 FROM "order".outbox WHERE topic = 'order-requested' AND payload->>'customer_id' = $1`, [customerId]);
  return { requests: requests.rows.map((r) => r.request_id), events: events.rowCount ?? 0 };
}

/** Resolves once a request of this database waits for the lock on buy-now requests. */
async function untilWaitingForLock(): Promise<void> {
  const deadline = Date.now() + 10_000;
  const waiting = `SELECT 1 FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO "order"."buy_now_requests"%'`;
  while (!(await db.pool.query(waiting)).rowCount) {
    if (Date.now() > deadline) throw new Error('the first request never reached the lock');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `promise`, or a failure naming what did not happen within `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('POST /orders with an Idempotency-Key', () => {
  it('replays the first answer after the process died between its commit and its answer; the buy-now happened once', async () => {
    const customer = await newCustomer(order);
    const key = `crash-after-${randomUUID()}`;
    const crashing = await startOrder({ CRASH_ON_COMMIT: 'after', CRASH_ON_COMMIT_OF: BUY_NOW_INSERT }, CRASH_PRELOAD);
    await expect(buyNowOver(crashing.port, customer, key)).rejects.toThrow();
    expect(await crashing.exited).toEqual([null, 'SIGKILL']);
    const committed = await effectsOf(customer);
    expect(committed).toEqual({ requests: [expect.any(String)], events: 1 });

    const restarted = await startOrder();
    const repeat = await buyNowOver(restarted.port, customer, key);
    expect(repeat.status).toBe(202);
    expect(repeat.headers.get('Idempotent-Replayed')).toBe('true');
    expect(repeat.headers.get('Location')).toBe(`/orders/requests/${committed.requests[0]}`);
    expect(await repeat.json()).toEqual({ request_id: committed.requests[0], status: 'pending' });
    expect(await effectsOf(customer)).toEqual(committed);
    await stop(restarted);
  }, 90_000);

  it('runs the request once when the process died before its commit: nothing of the first is left to wait for', async () => {
    const customer = await newCustomer(order);
    const key = `crash-before-${randomUUID()}`;
    const crashing = await startOrder({ CRASH_ON_COMMIT: 'before', CRASH_ON_COMMIT_OF: BUY_NOW_INSERT }, CRASH_PRELOAD);
    await expect(buyNowOver(crashing.port, customer, key)).rejects.toThrow();
    expect(await crashing.exited).toEqual([null, 'SIGKILL']);
    expect(await effectsOf(customer)).toEqual({ requests: [], events: 0 });

    const restarted = await startOrder();
    const repeat = await buyNowOver(restarted.port, customer, key);
    expect(repeat.status).toBe(202);
    expect(repeat.headers.get('Idempotent-Replayed')).toBeNull();
    const { request_id } = (await repeat.json()) as { request_id: string };
    expect(await effectsOf(customer)).toEqual({ requests: [request_id], events: 1 });
    const again = await buyNowOver(restarted.port, customer, key);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await effectsOf(customer)).toEqual({ requests: [request_id], events: 1 });
    await stop(restarted);
  }, 90_000);

  it('never runs a repeat of a request slower than the stale-claim window: 409 with Retry-After, then the replay', async () => {
    const customer = await newCustomer(order);
    const key = `slow-${randomUUID()}`;
    // The first request waits for a lock this test holds, as a request stuck on a busy database would.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE "order".buy_now_requests IN ACCESS EXCLUSIVE MODE');
    const first = buyNow(customer, key);
    try {
      await untilWaitingForLock();
      // An hour passes for whatever is stored about the running request: it is past any stale window.
      await db.pool.query(`UPDATE "order".idempotency_keys SET created_at = created_at - interval '1 hour'`);
      const repeat = await within(5_000, 'the repeat', Promise.resolve(buyNow(customer, key)));
      const body = await problem(repeat, 409);
      expect(body.detail).toMatch(/still being processed/);
      expect(repeat.headers.get('Retry-After')).toBe('1');
    } finally {
      await locker.query('COMMIT');
      await locker.end();
    }
    const answered = await first;
    expect(answered.status).toBe(202);
    const answer = await answered.text();
    const replay = await buyNow(customer, key);
    expect(replay.status).toBe(202);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.headers.get('Location')).toBe(answered.headers.get('Location'));
    expect(await replay.text()).toBe(answer);
    expect(await effectsOf(customer)).toEqual({ requests: [JSON.parse(answer).request_id], events: 1 });
  });

  it('runs 20 concurrent repeats of one key once: one answer, the rest 409 or its replay', async () => {
    const customer = await newCustomer(order);
    const key = `burst-${randomUUID()}`;
    const responses = await Promise.all(Array.from({ length: 20 }, () => buyNow(customer, key)));
    const answers = await Promise.all(
      responses.map(async (r) => ({ status: r.status, replayed: r.headers.get('Idempotent-Replayed') === 'true', retryAfter: r.headers.get('Retry-After'), body: await r.text() })),
    );
    const ran = answers.filter((a) => a.status === 202 && !a.replayed);
    expect(ran).toHaveLength(1);
    for (const other of answers.filter((a) => a !== ran[0])) {
      if (other.status === 202) expect(other).toMatchObject({ replayed: true, body: ran[0]!.body });
      else expect(other).toMatchObject({ status: 409, retryAfter: '1' });
    }
    expect(await effectsOf(customer)).toEqual({ requests: [JSON.parse(ran[0]!.body).request_id], events: 1 });
  });
});
