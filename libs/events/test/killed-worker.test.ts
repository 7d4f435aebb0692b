// A consumer process killed while it holds a message (kill -9: no shutdown of any kind) must not hold back
// that message, and the later messages of its ordering key behind it (key_strict_fifo), for long: pg-boss
// fails the job once its heartbeat stops and retries it. Without the heartbeat the job would stay active
// until `expireInSeconds` (60 s) ran out and supervision (every 60 s) noticed: 60 to 120 s of a checkout's
// reservation time.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { testLogger, useTestDatabase } from '@shop/testing';
import { createPgBossTransport, type IncomingMessage } from '../src';

const db = await useTestDatabase({ poolMax: 2 });
const transport = createPgBossTransport({ databaseUrl: db.url, topology: SUBSCRIPTIONS, logger: testLogger() });
afterAll(() => transport.close());
const spec = SUBSCRIPTIONS.find((s) => s.name === 'product.stock.changed')!;

function message(sku: string, version: number) {
  const eventId = randomUUID();
  return {
    id: String(version),
    topic: 'stock.changed' as const,
    eventId,
    orderingKey: sku,
    attributes: { event_id: eventId },
    data: JSON.stringify({ sku, available: version, version }),
  };
}

describe('a consumer process killed while it holds a message', () => {
  it('gets the message and the rest of its key delivered again within 30 s (heartbeat 10 s, supervision every 5 s)', { timeout: 90_000 }, async () => {
    const sku = `KILLED-${randomUUID().slice(0, 8)}`;
    const first = message(sku, 1);
    const second = message(sku, 2);
    await transport.publish([first, second]);

    const child = spawn(process.execPath, ['--import', 'tsx', 'libs/events/test/fixtures/hanging-worker.ts'], {
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const taken = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const line = chunk.toString();
        if (line.startsWith('taken ')) resolve(line.slice(6).trim());
      });
      child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it took a message`)));
    });
    expect(taken).toBe(first.eventId);
    const killedAt = Date.now();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const received: { eventId: string; attempt: number; afterMs: number }[] = [];
    await transport.subscribe(spec, async (messages: IncomingMessage[]) => {
      for (const m of messages) received.push({ eventId: m.attributes['event_id']!, attempt: m.deliveryAttempt, afterMs: Date.now() - killedAt });
      return messages.map(() => ({ status: 'ack' as const }));
    });
    const deadline = Date.now() + 60_000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // In order: the held message first, again, then the one its key held back.
    expect(received.map((r) => r.eventId)).toEqual([first.eventId, second.eventId]);
    expect(received[0]!.attempt).toBe(2);
    expect(received[1]!.afterMs).toBeLessThan(30_000);
  });
});
