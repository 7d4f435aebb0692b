// An idle service must not wake up for nothing: every wake-up of an idle process is CPU (billed on Cloud Run
// with CPU always allocated), and bench:footprint found each idle service waking about 24 times every 20 s,
// ten of them pg-boss's work-in-progress timer, which emits events nothing here listens to.
import { createHook } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { createLogger } from '@shop/observability';
import { testLogger, useTestDatabase } from '@shop/testing';
import { createPgBossTransport } from '../src';
import { clockWithoutWorkInProgressTimer } from '../src/transports/pg-boss-clock';

const db = await useTestDatabase({ poolMax: 2 });
// The watcher's own idle look is ours and has its own bound; this test is about pg-boss's timers.
const transport = createPgBossTransport({ databaseUrl: db.url, topology: SUBSCRIPTIONS, logger: testLogger(), idleLookMs: 60_000 });
afterAll(() => transport.close());

/**
 * Follows the timers pg-boss's code starts (an interval keeps its id across its runs); `window` counts
 * their callbacks from then on.
 */
function followPgBossTimers() {
  const fromPgBoss = new Set<number>();
  let callbacks = 0;
  const hook = createHook({
    init(asyncId, type) {
      if (type === 'Timeout' && /node_modules[\\/]pg-boss[\\/]/.test(new Error().stack ?? '')) fromPgBoss.add(asyncId);
    },
    before(asyncId) {
      if (fromPgBoss.has(asyncId)) callbacks++;
    },
  });
  hook.enable();
  return {
    followed: () => fromPgBoss.size,
    window() {
      const from = callbacks;
      return () => callbacks - from;
    },
    stop: () => hook.disable(),
  };
}

describe('the embedded transport at rest', () => {
  it('runs none of pg-boss’s timers for seconds on end once its workers wait for messages', { timeout: 30_000 }, async () => {
    const timers = followPgBossTimers();
    const specs = SUBSCRIPTIONS.filter((s) => s.service === 'notification');
    for (const spec of specs) await transport.subscribe(spec, async (messages) => messages.map(() => ({ status: 'ack' as const })));
    // Start-up settles (queues created, workers' first fetch) before the quiet window is counted.
    await new Promise((r) => setTimeout(r, 1_000));
    const callbacksSince = timers.window();
    // pg-boss's work-in-progress timer alone would fire three times in this window (every 2 s).
    await new Promise((r) => setTimeout(r, 6_500));
    const callbacks = callbacksSince();
    timers.stop();
    // Its timers are followed (the LISTEN heartbeat, the queue cache), so a silent window means they waited.
    expect(timers.followed()).toBeGreaterThan(0);
    expect(callbacks).toBe(0);
  });
});

/** A logger at `level` that counts its lines carrying `message`. */
function countingLogger(level: 'debug' | 'trace', message: string) {
  let lines = 0;
  const logger = createLogger({ service: 'test', level, destination: { write: (line: string) => void (line.includes(message) && lines++) } });
  return { logger, lines: () => lines };
}

/** Publishes one stock.changed message of `key`. */
function publishOne(transport: ReturnType<typeof createPgBossTransport>, key: string) {
  const eventId = randomUUID();
  return transport.publish([{ id: '1', topic: 'stock.changed', eventId, orderingKey: key, attributes: { event_id: eventId }, data: '{}' }]);
}

describe('pg-boss maintenance', () => {
  it('runs at its interval while jobs come and go, and not again while none has since the last pass', { timeout: 30_000 }, async () => {
    const { logger, lines: passes } = countingLogger('debug', 'pg-boss maintains its tables');
    const busy = createPgBossTransport({
      databaseUrl: db.url,
      topology: SUBSCRIPTIONS,
      logger,
      idleLookMs: 100,
      maintenanceIntervalMs: 300,
      idleMaintenanceIntervalMs: 60_000,
    });
    try {
      const spec = SUBSCRIPTIONS.find((s) => s.name === 'product.stock.changed')!;
      let handled = 0;
      await busy.subscribe(spec, async (messages) => messages.map(() => (handled++, { status: 'ack' as const })));
      // Start-up counts as a change: one pass follows it.
      await vi.waitFor(() => expect(passes()).toBe(1), { timeout: 3_000 });
      // Idle: four intervals go by without a pass.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(passes()).toBe(1);
      await publishOne(busy, 'SKU-MAINT');
      await vi.waitFor(() => expect(handled).toBe(1), { timeout: 5_000 });
      // A job came and went: the next interval's pass runs, and only that one.
      await vi.waitFor(() => expect(passes()).toBe(2), { timeout: 3_000 });
      await new Promise((r) => setTimeout(r, 1_500));
      expect(passes()).toBe(2);
    } finally {
      await busy.close();
    }
  });
});

describe('the due-job watcher', () => {
  it('looks at its idle pace while jobs come and go, and seldom once the instance has been quiet', { timeout: 30_000 }, async () => {
    const { logger, lines: looks } = countingLogger('trace', 'looked for due jobs');
    const watched = createPgBossTransport({ databaseUrl: db.url, topology: SUBSCRIPTIONS, logger, idleLookMs: 100, quietLookMs: 2_000, quietAfterMs: 600 });
    try {
      const spec = SUBSCRIPTIONS.find((s) => s.name === 'product.stock.changed')!;
      let handled = 0;
      await watched.subscribe(spec, async (messages) => messages.map(() => (handled++, { status: 'ack' as const })));
      // Quiet from 600 ms after start-up: over the next 1.5 s it looks once at most (every 2 s), not 15 times.
      await new Promise((r) => setTimeout(r, 900));
      const quietFrom = looks();
      await new Promise((r) => setTimeout(r, 1_500));
      expect(looks() - quietFrom).toBeLessThanOrEqual(1);
      // A job handled makes it busy again at once: looks every 100 ms.
      await publishOne(watched, 'SKU-QUIET');
      await vi.waitFor(() => expect(handled).toBe(1), { timeout: 5_000 });
      const busyFrom = looks();
      await new Promise((r) => setTimeout(r, 450));
      expect(looks() - busyFrom).toBeGreaterThanOrEqual(3);
    } finally {
      await watched.close();
    }
  });
});

describe('clockWithoutWorkInProgressTimer', () => {
  it('leaves out only the timer that gathers work in progress, and keeps every other timer', async () => {
    const clock = clockWithoutWorkInProgressTimer();
    let ticks = 0;
    const kept = clock.setInterval(() => ticks++, 5);
    const dropped = clock.setInterval(function wip() {
      return 'getWipData';
    }, 5);
    await new Promise((r) => setTimeout(r, 40));
    clock.clearInterval(kept);
    clock.clearInterval(dropped);
    expect(ticks).toBeGreaterThan(1);
    expect(clock.dropped).toBe(1);
  });
});
