import { describe, expect, it } from 'vitest';
import type { DeliveryOutcome } from '../../types';
import type { LogMessage } from './log-statements';
import { backoffAfter, planOutcomes } from './outcome-plan';

const backoff = { minMs: 1_000, maxMs: 60_000 };

function message(id: number, key: string, extra: Partial<LogMessage> = {}): LogMessage {
  return { outboxId: BigInt(id), orderingKey: key, attributes: { event_id: `e${id}` }, data: '{}', attempts: 0, isParked: false, isHeld: false, ...extra };
}

const ack: DeliveryOutcome = { status: 'ack' };
const retry: DeliveryOutcome = { status: 'retry', error: 'boom' };

describe('backoffAfter', () => {
  it('doubles from the minimum after each failure and stops at the maximum', () => {
    expect([1, 2, 3, 7, 50].map((n) => backoffAfter(n, backoff))).toEqual([1_000, 2_000, 4_000, 60_000, 60_000]);
  });
});

describe('planOutcomes', () => {
  it('parks the first failure of a key with its backoff and the later messages of that key untried, and leaves other keys alone', () => {
    const messages = [message(1, 'A'), message(2, 'B'), message(3, 'A'), message(4, 'B')];
    const plan = planOutcomes({ messages, fromPosition: 0n, toPosition: 4n }, messages, [retry, ack, { status: 'retry', error: 'waiting' }, ack], backoff);
    expect(plan.park.map((p) => [p.outboxId, p.attempts, p.delayMs, p.error])).toEqual([
      [1n, 1, 1_000, 'boom'],
      [3n, 0, 0, 'waiting'],
    ]);
    expect(plan).toMatchObject({ fromPosition: 0n, toPosition: 4n, settled: [], failedAgain: [] });
  });

  it('parks fresh messages of a key held before the read without delivering them', () => {
    const held = message(5, 'A', { isHeld: true });
    const plan = planOutcomes({ messages: [held], fromPosition: 4n, toPosition: 5n }, [], [], backoff);
    expect(plan.park).toEqual([expect.objectContaining({ outboxId: 5n, attempts: 0, delayMs: 0, error: null })]);
  });

  it('settles parked messages that were handled or dead-lettered, and counts one more failure on the first that failed again', () => {
    const messages = [
      message(1, 'A', { isParked: true, attempts: 2 }),
      message(2, 'A', { isParked: true }),
      message(3, 'B', { isParked: true, attempts: 4 }),
      message(4, 'B', { isParked: true }),
      message(5, 'C', { isParked: true, attempts: 9 }),
    ];
    const outcomes: DeliveryOutcome[] = [ack, ack, retry, { status: 'retry', error: 'waiting' }, { status: 'dead-letter', reason: 'handler_failed' }];
    const plan = planOutcomes({ messages, fromPosition: 9n, toPosition: 9n }, messages, outcomes, backoff);
    expect(plan.settled).toEqual([1n, 2n, 5n]);
    expect(plan.failedAgain.map((p) => [p.outboxId, p.attempts, p.delayMs])).toEqual([[3n, 5, 16_000]]);
    expect(plan.park).toEqual([]);
  });
});
