import type { DeliverFn, DeliveryOutcome, IncomingMessage, SubscriptionSpec, Transport } from '../types';

/** What a fault-injecting transport does to deliveries; rates are per delivered message, between 0 and 1. */
export interface FaultOptions {
  /** Share of messages acknowledged without being handled: lost for that subscriber. */
  dropRate?: number;
  /** Share of messages delivered twice, both copies at the same moment. */
  duplicateRate?: number;
  /** Share of messages delivered late, after a delay drawn from `delayMs`. */
  delayRate?: number;
  /** The delay range in milliseconds, `[min, max]`. */
  delayMs?: readonly [number, number];
  /** Seeds the random source, so a failing run can be repeated with the same faults. */
  seed?: number;
  /** Which subscriptions may lose messages (default: all); duplicates and delays apply to every one. */
  dropsOn?: (subscription: SubscriptionSpec) => boolean;
}

/** How many faults a wrapper injected so far, per kind. */
export interface FaultCounts {
  delivered: number;
  dropped: number;
  duplicated: number;
  delayed: number;
}

export interface FaultyTransport extends Transport {
  readonly faults: FaultCounts;
  /** Turns fault injection off (or on again): a test stops the faults, then waits for the system to heal. */
  setEnabled(enabled: boolean): void;
}

/** A small seeded pseudo-random source (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Fault = { kind: 'drop' } | { kind: 'duplicate' } | { kind: 'delay'; ms: number } | { kind: 'none' };

/** The worse of two outcomes of copies of one message: a retry or dead letter of either wins over an ack. */
function worse(a: DeliveryOutcome, b: DeliveryOutcome): DeliveryOutcome {
  const rank = (o: DeliveryOutcome) => (o.status === 'ack' ? 0 : o.status === 'dead-letter' ? 1 : 2);
  return rank(b) > rank(a) ? b : a;
}

/**
 * Wraps a transport so that what reaches consumers is unreliable, as networks and brokers can be: for the
 * fault tests and the chaos benchmark. Publishing is untouched; each delivered message is, at the configured
 * rates, dropped (acknowledged without handling), delivered twice at once, or delivered after a delay (the
 * transport still holds it meanwhile, so the system is not quiet until it is handled).
 */
export function createFaultyTransport(inner: Transport, options: FaultOptions = {}): FaultyTransport {
  const random = seededRandom(options.seed ?? 1);
  const [minDelay, maxDelay] = options.delayMs ?? [1_000, 3_000];
  const faults: FaultCounts = { delivered: 0, dropped: 0, duplicated: 0, delayed: 0 };
  let enabled = true;

  function faultFor(spec: SubscriptionSpec): Fault {
    // One draw picks the fault, so the rates partition [0, 1) and the sequence depends only on the seed.
    const draw = random();
    if (!enabled) return { kind: 'none' };
    const drop = options.dropsOn === undefined || options.dropsOn(spec) ? (options.dropRate ?? 0) : 0;
    const duplicate = options.duplicateRate ?? 0;
    const delay = options.delayRate ?? 0;
    if (draw < drop) return { kind: 'drop' };
    if (draw < drop + duplicate) return { kind: 'duplicate' };
    if (draw < drop + duplicate + delay) return { kind: 'delay', ms: Math.round(minDelay + random() * (maxDelay - minDelay)) };
    return { kind: 'none' };
  }

  function faulty(spec: SubscriptionSpec, deliver: DeliverFn): DeliverFn {
    return async (messages) => {
      const outcomes: DeliveryOutcome[] = new Array(messages.length);
      const now: { message: IncomingMessage; index: number }[] = [];
      const later: Promise<void>[] = [];
      for (const [index, message] of messages.entries()) {
        const fault = faultFor(spec);
        faults.delivered++;
        if (fault.kind === 'drop') {
          faults.dropped++;
          outcomes[index] = { status: 'ack' };
        } else if (fault.kind === 'delay') {
          faults.delayed++;
          later.push(
            new Promise((r) => setTimeout(r, fault.ms)).then(async () => {
              outcomes[index] = (await deliver([message]))[0]!;
            }),
          );
        } else {
          now.push({ message, index });
          if (fault.kind === 'duplicate') {
            faults.duplicated++;
            later.push(
              deliver([message]).then(([copy]) => {
                outcomes[index] = outcomes[index] ? worse(outcomes[index], copy!) : copy!;
              }),
            );
          }
        }
      }
      const handled = now.length ? await deliver(now.map((n) => n.message)) : [];
      for (const [i, { index }] of now.entries()) outcomes[index] = outcomes[index] ? worse(handled[i]!, outcomes[index]) : handled[i]!;
      await Promise.all(later);
      return outcomes;
    };
  }

  return {
    kind: inner.kind,
    faults,
    setEnabled(value) {
      enabled = value;
    },
    publish: (messages) => inner.publish(messages),
    subscribe: (spec, deliver) => inner.subscribe(spec, faulty(spec, deliver)),
    ping: () => inner.ping(),
    ...(inner.deliveryLag ? { deliveryLag: inner.deliveryLag.bind(inner) } : {}),
    close: () => inner.close(),
  };
}
