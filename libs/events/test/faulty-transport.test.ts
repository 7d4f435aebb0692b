import { describe, expect, it } from 'vitest';
import type { DeliveryOutcome, IncomingMessage, OutgoingMessage, SubscriptionSpec } from '../src';
import { createFaultyTransport, createMemoryTransport, seededRandom } from '../src';

const spec = (name: string): SubscriptionSpec => ({ name, topic: 'order-requested', service: name.split('.')[0]!, maxDeliveryAttempts: 5 });

function messages(count: number): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    id: String(i + 1),
    topic: 'order-requested',
    eventId: `e${i}`,
    orderingKey: `k${i}`,
    attributes: { event_id: `e${i}` },
    data: JSON.stringify({ n: i }),
  }));
}

/** Subscribes a recorder behind the faulty wrapper over the memory transport; publishes `count` messages and drains. */
async function run(count: number, options: Parameters<typeof createFaultyTransport>[1], outcome: DeliveryOutcome = { status: 'ack' }) {
  const memory = createMemoryTransport();
  const faulty = createFaultyTransport(memory, options);
  const handled: { n: number; at: number }[] = [];
  const started = Date.now();
  await faulty.subscribe(spec('inventory.order-requested'), async (batch: IncomingMessage[]) => {
    for (const m of batch) handled.push({ n: (JSON.parse(String(m.data)) as { n: number }).n, at: Date.now() - started });
    return batch.map(() => outcome);
  });
  await faulty.publish(messages(count));
  await memory.drain();
  await faulty.close();
  return { handled, faults: { ...faulty.faults } };
}

describe('the fault-injecting transport', () => {
  it('the seeded source repeats its sequence, and different seeds differ', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('drops and duplicates about the configured shares, the same ones for the same seed', async () => {
    const options = { dropRate: 0.05, duplicateRate: 0.05, seed: 7 };
    const one = await run(2_000, options);
    const two = await run(2_000, options);
    expect(one.faults).toEqual(two.faults);
    expect(one.handled.map((h) => h.n).sort((x, y) => x - y)).toEqual(two.handled.map((h) => h.n).sort((x, y) => x - y));
    expect(one.faults.delivered).toBe(2_000);
    expect(one.faults.dropped).toBeGreaterThan(60);
    expect(one.faults.dropped).toBeLessThan(140);
    expect(one.faults.duplicated).toBeGreaterThan(60);
    expect(one.faults.duplicated).toBeLessThan(140);
    // Each dropped message never reaches the handler; each duplicated one reaches it twice.
    const times = new Map<number, number>();
    for (const h of one.handled) times.set(h.n, (times.get(h.n) ?? 0) + 1);
    expect([...times.values()].filter((t) => t === 2)).toHaveLength(one.faults.duplicated);
    expect(2_000 - times.size).toBe(one.faults.dropped);
    expect(one.handled).toHaveLength(2_000 - one.faults.dropped + one.faults.duplicated);
  });

  it('delivers delayed messages after a delay within the range, and the transport holds them meanwhile', async () => {
    const { handled, faults } = await run(40, { delayRate: 0.25, delayMs: [200, 300], seed: 3 });
    expect(faults.delayed).toBeGreaterThan(0);
    // The memory transport hands a subscription one message at a time, so each delayed one shows as a gap.
    const gaps = handled.map((h, i) => h.at - (i === 0 ? 0 : handled[i - 1]!.at));
    expect(gaps.filter((g) => g >= 190)).toHaveLength(faults.delayed);
    expect(gaps.every((g) => g < 400)).toBe(true);
    expect(handled).toHaveLength(40);
  });

  it('drops only on the subscriptions `dropsOn` names', async () => {
    const { faults, handled } = await run(200, { dropRate: 0.5, seed: 1, dropsOn: (s) => s.name === 'order.stock-available' });
    expect(faults.dropped).toBe(0);
    expect(handled).toHaveLength(200);
  });

  it('reports a copy’s retry back to the transport, which delivers the message again', async () => {
    const memory = createMemoryTransport();
    const faulty = createFaultyTransport(memory, { duplicateRate: 1, seed: 5 });
    let calls = 0;
    await faulty.subscribe(spec('inventory.order-requested'), async (batch) => {
      calls += batch.length;
      // The first copy fails, every later one succeeds: the merged outcome must be a retry.
      return batch.map(() => (calls === 1 ? { status: 'retry', error: 'boom' } : { status: 'ack' }));
    });
    await faulty.publish(messages(1));
    await memory.drain();
    expect(calls).toBe(4);
  });

  it('injects nothing while disabled', async () => {
    const memory = createMemoryTransport();
    const faulty = createFaultyTransport(memory, { dropRate: 1, seed: 9 });
    faulty.setEnabled(false);
    let handled = 0;
    await faulty.subscribe(spec('inventory.order-requested'), async (batch) => {
      handled += batch.length;
      return batch.map(() => ({ status: 'ack' }) as const);
    });
    await faulty.publish(messages(10));
    await memory.drain();
    expect({ handled, dropped: faulty.faults.dropped }).toEqual({ handled: 10, dropped: 0 });
  });
});
