import { isDevelopmentOrTest } from '@shop/config';
import type { Database } from '@shop/db';
import { startDueWorkLoop, type PublishFn } from '@shop/events';
import type { Logger } from '@shop/observability';
import type { PushSettings } from '../config';
import { NOTIFICATIONS_CHANNEL, notificationLeases } from '../db/notifications.queries';
import { MAX_SUBSCRIPTIONS_PER_CUSTOMER } from '../domain/subscriptions';
import type { VapidKeys } from '../domain/vapid-keys';
import { createWebPushSender, type PushSender } from '../webpush/web-push-sender';
import { createPusher, PUSH_FANOUT_CONCURRENCY, type Pusher } from './pusher';

/** The pusher over Web Push with the configured keys, timeouts and retry policy. */
export function pusherFor(
  settings: PushSettings,
  deps: { db: Database; publish: PublishFn; vapidKeys: VapidKeys; logger: Logger; sender?: PushSender },
): Pusher {
  const sender =
    deps.sender ??
    createWebPushSender({
      vapidKeys: deps.vapidKeys,
      subject: settings.VAPID_SUBJECT,
      ttlSeconds: settings.PUSH_TTL_SECONDS,
      timeoutMs: settings.PUSH_TIMEOUT_MS,
      allowPrivateNetworks: isDevelopmentOrTest(settings.NODE_ENV),
    });
  return createPusher({
    prisma: deps.db.prisma,
    publish: deps.publish,
    sender,
    logger: deps.logger,
    // A notification's subscriptions are pushed to a few at a time, each send bounded by the timeout: the lease
    // outlasts the rounds that a customer with the most subscriptions allowed takes, plus a margin.
    leaseMs: settings.PUSH_TIMEOUT_MS * Math.ceil(MAX_SUBSCRIPTIONS_PER_CUSTOMER / PUSH_FANOUT_CONCURRENCY) + 10_000,
    policy: { maxAttempts: settings.PUSH_MAX_ATTEMPTS, minDelayMs: settings.PUSH_RETRY_MIN_MS, maxDelayMs: settings.PUSH_RETRY_MAX_MS },
  });
}

/** The service's background delivery: the loop that pushes what is pending. Returns what stops it. */
export async function startPushDelivery(
  settings: PushSettings,
  deps: { db: Database; databaseUrl: string; publish: PublishFn; vapidKeys: VapidKeys; logger: Logger },
): Promise<() => Promise<void>> {
  const pusher = pusherFor(settings, deps);
  // Fail at start, not at the first push, when the key pair cannot be read or made.
  const { publicKey } = await deps.vapidKeys.get();
  deps.logger.info({ vapid_public_key: publicKey }, 'Web Push ready');
  const loop = startDueWorkLoop({
    name: 'pusher',
    databaseUrl: deps.databaseUrl,
    channel: NOTIFICATIONS_CHANNEL,
    runDue: () => pusher.runDue(),
    nextDueInMs: () => notificationLeases.nextDueInMs(deps.db.prisma),
    logger: deps.logger,
  });
  return () => loop.stop();
}
