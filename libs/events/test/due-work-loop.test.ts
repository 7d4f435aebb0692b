import { afterEach, describe, expect, it, vi } from 'vitest';
import { testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { startDueWorkLoop, type DueWorkLoop, type DueWorkLoopOptions } from '../src';

const db: TestDatabase = await useTestDatabase();
const CHANNEL = 'due_work_test';
let loops: DueWorkLoop[] = [];

afterEach(async () => {
  await Promise.all(loops.map((l) => l.stop()));
  loops = [];
});

/** A loop over a counter of due items; each round takes all of them. */
function start(overrides: Partial<DueWorkLoopOptions> = {}) {
  // `dueAt`: when the earliest scheduled item falls due (Date.now() time), as the database would answer it.
  const work = { due: 0, rounds: 0, taken: 0, looks: 0, dueAt: null as number | null };
  const loop = startDueWorkLoop({
    name: 'due-work-test',
    databaseUrl: db.url,
    channel: CHANNEL,
    logger: testLogger(),
    // Long enough that nothing in these tests is found by the poll.
    pollIntervalMs: 60_000,
    async runDue() {
      work.rounds++;
      const taken = work.due;
      work.due = 0;
      work.taken += taken;
      // What it took was what fell due.
      if (taken > 0) work.dueAt = null;
      return taken;
    },
    async nextDueInMs() {
      work.looks++;
      return work.dueAt === null ? null : work.dueAt - Date.now();
    },
    ...overrides,
  });
  loops.push(loop);
  return { loop, work };
}

const notify = () => db.pool.query(`SELECT pg_notify('${CHANNEL}', '')`);
const listening = async () =>
  (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'due-work-test-listener' AND query LIKE 'LISTEN%'`)).rowCount === 1;

describe('startDueWorkLoop', () => {
  it('looks for work at once, then again as soon as a NOTIFY on its channel arrives', async () => {
    const { work } = start();
    await vi.waitFor(async () => expect(await listening()).toBe(true));
    // The first round starts once the LISTEN is in place, an instant after the server shows it.
    await vi.waitFor(() => expect(work.rounds).toBeGreaterThanOrEqual(1));
    work.due = 2;
    await notify();
    await vi.waitFor(() => expect(work.taken).toBe(2), { timeout: 2_000 });
  });

  it('looks again when the earliest scheduled item falls due, with no notification', async () => {
    const { work } = start();
    work.dueAt = Date.now() + 150;
    await vi.waitFor(() => expect(work.rounds).toBe(1));
    work.due = 1;
    const since = Date.now();
    await vi.waitFor(() => expect(work.taken).toBe(1), { timeout: 2_000 });
    // Found by the timer the first round set (150 ms), not by the poll (a minute).
    expect(Date.now() - since).toBeGreaterThanOrEqual(100);
  });

  it('at each poll only asks when work falls due, and takes work only when some is due (a row written by hand)', async () => {
    const { work } = start({ pollIntervalMs: 50 });
    await vi.waitFor(() => expect(work.rounds).toBe(1));
    await vi.waitFor(() => expect(work.looks).toBeGreaterThanOrEqual(5), { timeout: 2_000 });
    // Nothing was due at any of those polls: no round took its transaction.
    expect(work.rounds).toBe(1);
    // An item that is due with nothing announcing it is found by the next poll.
    work.due = 1;
    work.dueAt = Date.now();
    await vi.waitFor(() => expect(work.taken).toBe(1), { timeout: 2_000 });
    // It drains (one more round finds the rest empty), then polls by looking only again.
    const rounds = work.rounds;
    const looks = work.looks;
    await vi.waitFor(() => expect(work.looks).toBeGreaterThanOrEqual(looks + 5), { timeout: 2_000 });
    expect(work.rounds).toBe(rounds);
  });

  it('keeps looking after a round fails, backing off', async () => {
    let failures = 2;
    const { work } = start({
      async runDue() {
        work.rounds++;
        if (failures-- > 0) throw new Error('database blinked');
        work.taken += work.due;
        work.due = 0;
        return 0;
      },
    });
    work.due = 3;
    await vi.waitFor(() => expect(work.taken).toBe(3), { timeout: 2_000 });
    expect(work.rounds).toBeGreaterThanOrEqual(3);
  });

  it('listens again after losing its connection, and is woken by the new one', async () => {
    const { work } = start();
    await vi.waitFor(async () => expect(await listening()).toBe(true));
    await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'due-work-test-listener'`);
    await vi.waitFor(async () => expect(await listening()).toBe(true), { timeout: 3_000 });
    work.due = 1;
    await notify();
    await vi.waitFor(() => expect(work.taken).toBe(1), { timeout: 2_000 });
  });

  it('on stop, waits for the round in flight, takes no more work and closes its connection', async () => {
    let finishRound: () => void = () => undefined;
    const { loop, work } = start({
      async runDue() {
        work.rounds++;
        if (work.rounds === 2) await new Promise<void>((resolve) => (finishRound = resolve));
        return 0;
      },
    });
    await vi.waitFor(async () => expect(await listening()).toBe(true));
    loop.wake();
    await vi.waitFor(() => expect(work.rounds).toBe(2));
    const stopped = loop.stop();
    let isStopped = false;
    void stopped.then(() => (isStopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(isStopped).toBe(false);
    finishRound();
    await stopped;
    await notify();
    await new Promise((r) => setTimeout(r, 100));
    expect(work.rounds).toBe(2);
    expect(await listening()).toBe(false);
  });
});
