import type { DeliverFn, IncomingMessage, OutgoingMessage, SubscriptionSpec, Transport } from '../types';

export interface MemoryTransport extends Transport {
  /** While false, `publish` fails as a broker outage would. */
  setAvailable(available: boolean): void;
  /** Every message published so far, in order (tests read what crossed the wire). */
  readonly published: OutgoingMessage[];
  /** Resolves when no delivery is queued, in flight or waiting for a retry. */
  drain(): Promise<void>;
}

/**
 * In-process transport for unit tests only: fan-out to subscriptions, per-key order, retries after a short
 * delay, and the same outcome handling as the real engines. Nothing survives the process.
 */
export function createMemoryTransport(options: { retryDelayMs?: number } = {}): MemoryTransport {
  const retryDelayMs = options.retryDelayMs ?? 10;
  const subscribers = new Map<string, { spec: SubscriptionSpec; deliver: DeliverFn; queue: { message: IncomingMessage; key: string }[]; busy: boolean }[]>();
  const published: OutgoingMessage[] = [];
  let available = true;
  let inFlight = 0;
  let drainWaiters: (() => void)[] = [];
  let closed = false;

  const settle = () => {
    if (inFlight === 0) {
      for (const resolve of drainWaiters) resolve();
      drainWaiters = [];
    }
  };

  async function pump(sub: NonNullable<ReturnType<typeof subscribers.get>>[number]): Promise<void> {
    if (sub.busy || closed) return;
    sub.busy = true;
    try {
      while (sub.queue.length && !closed) {
        // Take the head of the queue in order; a retried message goes back to the front, keeping its key's order.
        const { message, key } = sub.queue.shift()!;
        const [outcome] = await sub.deliver([message]);
        if (outcome?.status === 'retry') {
          await new Promise((r) => setTimeout(r, retryDelayMs));
          sub.queue.unshift({ message: { ...message, deliveryAttempt: message.deliveryAttempt + 1 }, key });
        } else {
          inFlight--;
        }
      }
    } finally {
      sub.busy = false;
      settle();
    }
  }

  return {
    kind: 'memory',
    published,
    setAvailable(value) {
      available = value;
    },
    async publish(messages) {
      if (!available) throw Object.assign(new Error('memory transport unavailable'), { published: 0 });
      for (const m of messages) {
        published.push(m);
        for (const sub of subscribers.get(m.topic) ?? []) {
          inFlight++;
          sub.queue.push({ message: { attributes: m.attributes, data: m.data, deliveryAttempt: 1, messageId: m.id }, key: m.orderingKey });
          void pump(sub);
        }
      }
      return messages.length;
    },
    async subscribe(spec, deliver) {
      const list = subscribers.get(spec.topic) ?? [];
      list.push({ spec, deliver, queue: [], busy: false });
      subscribers.set(spec.topic, list);
    },
    async ping() {
      if (!available) throw new Error('memory transport unavailable');
    },
    drain: () =>
      new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settle();
      }),
    async close() {
      closed = true;
    },
  };
}
