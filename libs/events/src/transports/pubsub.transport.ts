import type { ClientConfig, PubSub, Topic } from '@google-cloud/pubsub';
import type { Logger } from '@shop/observability';
import type { OutgoingMessage, Transport } from '../types';

/** gRPC status codes the transport reads (google.rpc.Code). */
const PERMISSION_DENIED = 7;

export interface PubSubTransportOptions {
  projectId: string;
  logger: Logger;
  /**
   * `host:port` of the emulator. The client library also reads `PUBSUB_EMULATOR_HOST` itself; passing it here
   * makes a configuration loaded from somewhere other than `process.env` take effect as well.
   */
  emulatorHost?: string;
  /**
   * Client-side batching. The relay awaits every publish before it marks rows published, so a long batching
   * window only adds latency: a few milliseconds is enough to group what one relay batch hands over.
   */
  batching?: { maxMessages?: number; maxMilliseconds?: number; maxBytes?: number };
  /** `ping` gives up after this long (the readiness check must answer quickly). */
  pingTimeoutMs?: number;
  /** Extra client options (credentials, endpoint) for the `PubSub` client. */
  clientConfig?: ClientConfig;
}

/** A failed publish: how many messages from the start of the list Pub/Sub acknowledged before it. */
export class PubSubPublishError extends Error {
  override name = 'PubSubPublishError';
  constructor(
    message: string,
    readonly published: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The Google Cloud Pub/Sub transport. Publishing: every message goes to its topic with its attributes and
 * its ordering key (`messageOrdering` on every topic publisher). Consuming is by push subscriptions to
 * `POST /pubsub/push` (see `push/push.routes.ts`), so `subscribe` does nothing here.
 *
 * The client library (about 50 MiB of memory once loaded, with gRPC and google-auth-library) is imported on
 * the first call, not with this module: every service bundles this transport, and only those configured for
 * Pub/Sub should pay for it.
 */
export function createPubSubTransport(options: PubSubTransportOptions): Transport {
  const { logger } = options;
  const batching = { maxMessages: 100, maxMilliseconds: 5, ...options.batching };
  const pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  const topics = new Map<string, Topic>();
  let client: Promise<PubSub> | undefined;

  const pubsubClient = () =>
    (client ??= import('@google-cloud/pubsub').then(
      ({ PubSub }) =>
        new PubSub({
          projectId: options.projectId,
          ...(options.emulatorHost ? { apiEndpoint: options.emulatorHost, emulatorMode: true } : {}),
          ...options.clientConfig,
        }),
    ));

  function topicOf(pubsub: PubSub, name: string): Topic {
    let topic = topics.get(name);
    if (!topic) {
      topic = pubsub.topic(name, { messageOrdering: true, batching });
      topics.set(name, topic);
    }
    return topic;
  }

  return {
    kind: 'pubsub',
    async publish(messages: OutgoingMessage[]) {
      const pubsub = await pubsubClient();
      // Everything is queued at once, in list order: the client keeps per-key order itself (one batch in
      // flight per ordering key) while different keys and topics travel in parallel.
      const results = await Promise.allSettled(
        messages.map((m) =>
          topicOf(pubsub, m.topic).publishMessage({
            data: Buffer.from(m.data, 'utf8'),
            attributes: m.attributes,
            ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
          }),
        ),
      );
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed === -1) return messages.length;

      // After a failure the client refuses every later message of that key until told to resume. The relay
      // republishes from the first failure onwards, so resuming now keeps the key's order.
      const keysToResume = new Map<string, Set<string>>();
      results.forEach((r, i) => {
        const m = messages[i]!;
        if (r.status === 'rejected' && m.orderingKey) {
          keysToResume.set(m.topic, (keysToResume.get(m.topic) ?? new Set()).add(m.orderingKey));
        }
      });
      for (const [topic, keys] of keysToResume) for (const key of keys) topicOf(pubsub, topic).resumePublishing(key);

      const first = messages[failed]!;
      const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
      logger.warn({ err: reason, topic: first.topic, event_id: first.eventId, published: failed }, 'Pub/Sub refused a message');
      throw new PubSubPublishError(
        `publishing ${first.topic} (event ${first.eventId}) failed: ${reason instanceof Error ? reason.message : String(reason)}`,
        failed,
        { cause: reason },
      );
    },
    async subscribe() {
      // Push delivery: Pub/Sub calls POST /pubsub/push on the service; there is nothing to pull.
    },
    async ping() {
      const pubsub = await pubsubClient();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Pub/Sub did not answer within ${pingTimeoutMs} ms`)), pingTimeoutMs);
      });
      try {
        await Promise.race([
          pubsub.getTopics({ pageSize: 1, autoPaginate: false, gaxOpts: { timeout: pingTimeoutMs, retry: null } }),
          timeout,
        ]);
      } catch (err) {
        // A publisher-only service account may not list topics: the API answered, so it is reachable.
        if ((err as { code?: unknown }).code !== PERMISSION_DENIED) throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (!client) return;
      const pubsub = await client;
      await Promise.all([...topics.values()].map((t) => t.flush()));
      await pubsub.close();
    },
  };
}
