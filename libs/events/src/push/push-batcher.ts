import type { DeliveryOutcome, IncomingMessage } from '../types';

export interface PushBatcherOptions {
  /** Hands a group of messages to the consumer; one outcome per message, in order. */
  deliver(messages: IncomingMessage[]): Promise<DeliveryOutcome[]>;
  /** A group is delivered as soon as it holds this many messages. */
  maxMessages: number;
  /** …or this long after its first message arrived, whichever comes first. */
  maxWaitMs: number;
}

/** Groups single pushed messages into batches for one subscription. */
export interface PushBatcher {
  /** Resolves with this message's own outcome once the batch it joined has been handled. */
  submit(message: IncomingMessage): Promise<DeliveryOutcome>;
}

interface Waiting {
  message: IncomingMessage;
  resolve(outcome: DeliveryOutcome): void;
  reject(err: unknown): void;
}

/**
 * Pub/Sub pushes one message per request, but a batching handler (inventory's reservations) is much faster
 * when it takes many in one transaction. Requests arriving together are held for at most `maxWaitMs` and
 * handed over as one group; each request still answers with its own message's outcome, so Pub/Sub
 * acknowledges or redelivers every message on its own. Several groups may be in the consumer at once:
 * holding a group back behind another would only add latency, and the consumer is safe under concurrency.
 */
export function createPushBatcher(options: PushBatcherOptions): PushBatcher {
  let group: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    const taken = group;
    group = [];
    if (taken.length === 0) return;
    options.deliver(taken.map((w) => w.message)).then(
      (outcomes) => {
        taken.forEach((w, i) => {
          const outcome = outcomes[i];
          if (outcome) w.resolve(outcome);
          else w.reject(new Error('the consumer returned no outcome for this message'));
        });
      },
      (err: unknown) => taken.forEach((w) => w.reject(err)),
    );
  }

  return {
    submit(message) {
      return new Promise<DeliveryOutcome>((resolve, reject) => {
        group.push({ message, resolve, reject });
        if (group.length >= options.maxMessages) flush();
        else timer ??= setTimeout(flush, options.maxWaitMs);
      });
    },
  };
}
