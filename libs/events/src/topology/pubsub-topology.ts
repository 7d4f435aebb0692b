import type { CreateSubscriptionOptions, PubSub } from '@google-cloud/pubsub';
import { SERVICES, SUBSCRIPTIONS, TOPIC_NAMES, type ServiceName, type Subscription } from '@shop/contracts';
import type { Logger } from '@shop/observability';

/** gRPC status codes the topology reads (google.rpc.Code). */
const ALREADY_EXISTS = 6;

/** Dead letters are kept this long (Pub/Sub's maximum for a subscription's own retention). */
const DEAD_LETTER_RETENTION_SECONDS = 7 * 24 * 3600;

/** Where the push subscription of every dead-letter topic delivers, on the service that owns the subscription. */
export const DEAD_LETTER_PUSH_PATH = '/pubsub/dead-letters';

/**
 * The push subscription that files a dead-letter topic's messages in the consuming service's dead-letter
 * list (`POST /pubsub/dead-letters`, see push/dead-letter-intake.routes.ts).
 */
export function deadLetterSubscriptionOf(subscription: Pick<Subscription, 'deadLetterTopic'>): string {
  return `${subscription.deadLetterTopic}.sub`;
}

/** Where each service listens on a laptop: `http://127.0.0.1:<local port>`. */
export function localBaseUrls(host = '127.0.0.1'): Record<ServiceName, string> {
  return Object.fromEntries(Object.values(SERVICES).map((s) => [s.name, `http://${host}:${s.localPort}`])) as Record<ServiceName, string>;
}

export interface PubSubTopologyOptions {
  projectId: string;
  /** Each consuming service's base URL (a Cloud Run URL, or `localBaseUrls()`); pushes go to `<base>/pubsub/push`. */
  baseUrls: Partial<Record<ServiceName, string>>;
  /** Defaults to every subscription of the contracts. */
  subscriptions?: readonly Subscription[];
  /**
   * Signs every push with an OIDC token of this service account. The audience defaults to the receiving
   * service's base URL, which is what each service then expects in `PUBSUB_PUSH_AUDIENCE`.
   */
  oidc?: { serviceAccountEmail: string; audience?: (service: ServiceName, baseUrl: string) => string };
}

/** One subscription to create, with its settings in the client library's shape. */
export interface PlannedSubscription {
  name: string;
  topic: string;
  kind: 'push' | 'dead-letter';
  options: CreateSubscriptionOptions;
}

/** Everything the event backbone needs on Pub/Sub, by the contracts' names. */
export interface PubSubTopologyPlan {
  topics: string[];
  subscriptions: PlannedSubscription[];
}

/**
 * Derives the Pub/Sub resources from the contracts' topology: every event topic; per subscription the push
 * subscription itself with the contract's ordering, ack deadline, retry backoff and dead-letter policy, and a
 * dead-letter topic whose push subscription delivers what lands there to the same service's dead-letter list
 * (retried with the same backoff, kept up to 7 days while the service cannot take it). Pure, so the
 * Terraform and the emulator setup can both be checked against it.
 */
export function planPubSubTopology(options: PubSubTopologyOptions): PubSubTopologyPlan {
  const subscriptions = options.subscriptions ?? SUBSCRIPTIONS;
  const topicPath = (topic: string) => `projects/${options.projectId}/topics/${topic}`;
  const planned: PlannedSubscription[] = [];
  for (const s of subscriptions) {
    const baseUrl = options.baseUrls[s.service]?.replace(/\/+$/, '');
    if (!baseUrl) throw new Error(`no base URL for ${s.service}, which consumes ${s.topic}`);
    const pushConfig = (path: string) => ({
      pushEndpoint: `${baseUrl}${path}`,
      ...(options.oidc
        ? { oidcToken: { serviceAccountEmail: options.oidc.serviceAccountEmail, audience: options.oidc.audience?.(s.service, baseUrl) ?? baseUrl } }
        : {}),
    });
    const retryPolicy = { minimumBackoff: { seconds: s.minBackoffSeconds }, maximumBackoff: { seconds: s.maxBackoffSeconds } };
    planned.push({
      name: s.name,
      topic: s.topic,
      kind: 'push',
      options: {
        pushConfig: pushConfig(s.pushPath),
        ackDeadlineSeconds: s.ackDeadlineSeconds,
        enableMessageOrdering: s.ordering,
        retryPolicy,
        deadLetterPolicy: { deadLetterTopic: topicPath(s.deadLetterTopic), maxDeliveryAttempts: s.maxDeliveryAttempts },
        // An empty policy means "never expire": by default Pub/Sub deletes a subscription idle for 31 days.
        expirationPolicy: {},
      },
    });
    planned.push({
      name: deadLetterSubscriptionOf(s),
      topic: s.deadLetterTopic,
      kind: 'dead-letter',
      // No dead-letter policy of its own: a dead letter that cannot be filed yet waits here, retried.
      options: {
        pushConfig: pushConfig(DEAD_LETTER_PUSH_PATH),
        ackDeadlineSeconds: 60,
        retryPolicy,
        messageRetentionDuration: { seconds: DEAD_LETTER_RETENTION_SECONDS },
        expirationPolicy: {},
      },
    });
  }
  const consumed = new Set(subscriptions.map((s) => s.topic));
  // Every event topic exists even while nothing consumes it: publishing to a missing topic fails the relay.
  const topics = [...TOPIC_NAMES.filter((t) => options.subscriptions === undefined || consumed.has(t)), ...subscriptions.map((s) => s.deadLetterTopic)];
  return { topics, subscriptions: planned };
}

/** What `applyPubSubTopology` did, by resource name. */
export interface AppliedTopology {
  created: string[];
  /** Existing subscriptions whose settings were brought in line with the plan. */
  updated: string[];
  /** Topics that were already there. */
  unchanged: string[];
}

/**
 * Creates the plan's topics and subscriptions, idempotently: existing topics are left alone, existing
 * subscriptions get the plan's push endpoint, deadlines, retry and dead-letter policies (ordering cannot
 * change after creation, so a subscription that differs there is reported as an error to recreate by hand).
 */
export async function applyPubSubTopology(pubsub: PubSub, plan: PubSubTopologyPlan, logger?: Logger): Promise<AppliedTopology> {
  const result: AppliedTopology = { created: [], updated: [], unchanged: [] };
  await inParallel(plan.topics, async (topic) => {
    try {
      await pubsub.createTopic(topic);
      result.created.push(topic);
    } catch (err) {
      if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
      result.unchanged.push(topic);
    }
  });
  await inParallel(plan.subscriptions, async (s) => {
    try {
      await pubsub.createSubscription(s.topic, s.name, s.options);
      result.created.push(s.name);
    } catch (err) {
      if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
      const subscription = pubsub.subscription(s.name);
      const [current] = await subscription.getMetadata();
      if (!current.topic?.endsWith(`/topics/${s.topic}`) || Boolean(current.enableMessageOrdering) !== Boolean(s.options.enableMessageOrdering)) {
        throw new Error(`subscription ${s.name} exists with another topic or ordering: delete it and run again`);
      }
      // Ordering is fixed at creation; the expiration policy is too on the emulator, and only ever set to "never".
      const { enableMessageOrdering: _fixed, expirationPolicy: _never, ...mutable } = s.options;
      await subscription.setMetadata(mutable);
      result.updated.push(s.name);
    }
  });
  logger?.info({ created: result.created.length, updated: result.updated.length, unchanged: result.unchanged.length }, 'Pub/Sub topology applied');
  return result;
}

/** A few requests at a time: fast on the emulator, gentle on the admin API's quota. */
async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>, width = 8): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(width, queue.length) }, worker));
}
