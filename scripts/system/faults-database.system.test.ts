// Invariants 1–9 when PostgreSQL itself stops for 10 s in the middle of a flash sale and comes back on the
// same data folder and port. The services (separate processes) stay up through the outage: their pools fail,
// `/readyz` says 503, clients are refused and try again; afterwards every service serves again and the sale
// ends as if nothing had happened. This file runs its own cluster (the shared test server is not stopped,
// and in CI's second pass it is not ours to stop).
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '@shop/contracts';
import { applyMigrations, ensureDatabase, withDatabase } from '@shop/db';
import { startEmbeddedPostgres } from '@shop/testing';
import { expectSaleInvariants, FAST_RECOVERY, flashSale, untilQuietAfterFault, useServiceProcesses } from './fault-kit';

const OUTAGE_MS = 10_000;

const server = await startEmbeddedPostgres({ dataDir: join(tmpdir(), `shop-outage-${randomBytes(4).toString('hex')}`), persistent: false, durable: false });
afterAll(() => server.stop());
const databaseUrl = withDatabase(server.url, 'shop');
await ensureDatabase(server.url, 'shop');
await applyMigrations(databaseUrl);
// Registered after the server's afterAll, so the services stop before it (hooks run in reverse). Their logs only
// at `fatal`: during the outage every pool and every pg-boss loop logs its failures, hundreds of lines a second.
const stack = await useServiceProcesses(databaseUrl, { ...FAST_RECOVERY, LOG_LEVEL: 'fatal' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each service's `/readyz` status. */
async function readiness(): Promise<Record<string, number>> {
  const statuses = await Promise.all(
    SERVICE_NAMES.map(async (name) => [name, (await fetch(`${stack.processes.urls[name]}/readyz`, { signal: AbortSignal.timeout(10_000) })).status] as const),
  );
  return Object.fromEntries(statuses);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const everyService = (status: number) => Object.fromEntries(SERVICE_NAMES.map((name) => [name, status]));

describe('a flash sale while PostgreSQL is down for 10 s', () => {
  it('every service rides out the outage; then nothing oversold, nothing pending, one e-mail per order', { timeout: 240_000 }, async () => {
    const pids = { ...stack.processes.pids };
    let readyDuringOutage: Record<string, number> = {};
    let readDuringOutage: { status: number; retryAfter: string | null; type: string | null } | undefined;
    const outcomes = await flashSale(
      stack,
      { sku: 'FAULT-PG', units: 40, customers: 200, buyNowEvery: 4, spreadMs: 8_000, deadline: Date.now() + 150_000 },
      async () => {
        await sleep(1_500);
        const restarted = server.restart(OUTAGE_MS);
        await sleep(OUTAGE_MS / 2);
        readyDuringOutage = await readiness();
        // A request that needs the database: a passing condition, so 503 with Retry-After, never a 500.
        const read = await fetch(`${stack.processes.urls.product}/products/FAULT-PG`, { signal: AbortSignal.timeout(10_000) });
        readDuringOutage = { status: read.status, retryAfter: read.headers.get('Retry-After'), type: read.headers.get('Content-Type') };
        await restarted;
      },
    );
    expect(readyDuringOutage).toEqual(everyService(503));
    expect(readDuringOutage).toEqual({ status: 503, retryAfter: '2', type: 'application/problem+json' });
    await untilQuietAfterFault(stack, 150_000);
    // No service died: the same processes are alive, and all are ready again.
    expect(stack.processes.pids).toEqual(pids);
    expect(SERVICE_NAMES.filter((name) => !isAlive(pids[name]))).toEqual([]);
    expect(await readiness()).toEqual(everyService(200));
    await expectSaleInvariants(stack, 'FAULT-PG', 40, outcomes);
  });
});
