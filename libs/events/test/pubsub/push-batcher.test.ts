import { describe, expect, it } from 'vitest';
import { createPushBatcher, type DeliveryOutcome, type IncomingMessage } from '../../src';

const message = (n: number): IncomingMessage => ({ attributes: { n: String(n) }, data: '{}', deliveryAttempt: 1 });

describe('createPushBatcher', () => {
  it('hands messages that arrive within maxWaitMs to one delivery and answers each with its own outcome', async () => {
    const calls: IncomingMessage[][] = [];
    const batcher = createPushBatcher({
      maxMessages: 10,
      maxWaitMs: 20,
      deliver: async (messages) => {
        calls.push(messages);
        return messages.map((m): DeliveryOutcome => (m.attributes['n'] === '2' ? { status: 'retry', error: 'no' } : { status: 'ack' }));
      },
    });
    const outcomes = await Promise.all([1, 2, 3].map((n) => batcher.submit(message(n))));
    expect(calls).toHaveLength(1);
    expect(outcomes.map((o) => o.status)).toEqual(['ack', 'retry', 'ack']);
  });

  it('starts a new group after the timer fired', async () => {
    const sizes: number[] = [];
    const batcher = createPushBatcher({ maxMessages: 10, maxWaitMs: 5, deliver: async (m) => (sizes.push(m.length), m.map(() => ({ status: 'ack' as const }))) });
    await batcher.submit(message(1));
    await Promise.all([batcher.submit(message(2)), batcher.submit(message(3))]);
    expect(sizes).toEqual([1, 2]);
  });

  it('fails every message of a group whose delivery threw, so each request asks for a redelivery', async () => {
    const batcher = createPushBatcher({ maxMessages: 10, maxWaitMs: 5, deliver: async () => Promise.reject(new Error('database down')) });
    const results = await Promise.allSettled([batcher.submit(message(1)), batcher.submit(message(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
