import pLimit from 'p-limit';
import { inTransaction, type PrismaClient } from '@shop/db';
import { envelopeOf, outboxValues, type PublishFn } from '@shop/events';
import { inSpan, runInTrace, type Logger } from '@shop/observability';
import type { AttemptState } from '@shop/service';
import {
  deliveriesOf,
  findNotification,
  finishAttempt,
  finishAttemptAndPublish,
  notificationLeases,
  recordDelivery,
  type AttemptResult,
  type NotificationRow,
} from '../db/notifications.queries';
import { deleteGoneSubscription, subscriptionsOfCustomer, type SubscriptionRow } from '../db/subscriptions.queries';
import { classifyPushStatus, NO_SUBSCRIPTION_ERROR, pushPayload, retryDelayMs, type PushOutcome, type RetryPolicy } from '../domain/delivery-policy';
import { isBlockedEndpoint } from '../webpush/endpoint-address';
import type { PushSender } from '../webpush/web-push-sender';

export interface PusherDeps {
  prisma: PrismaClient;
  publish: PublishFn;
  sender: PushSender;
  policy: RetryPolicy;
  logger: Logger;
  /** How long one attempt owns its notification; longer than the push timeout, so a live worker never loses it. */
  leaseMs: number;
  batchSize?: number;
  random?: () => number;
}

/**
 * A notification goes to up to `MAX_SUBSCRIPTIONS_PER_CUSTOMER` browsers; this many are pushed to at once, so one
 * notification holds a bounded number of sockets (and, on Cloud Run, of outbound connections) however many
 * browsers its customer has, while the batch's other notifications go on beside it.
 */
export const PUSH_FANOUT_CONCURRENCY = 4;

export interface Pusher {
  /** Attempts every due notification once; resolves with how many it attempted. */
  runDue(): Promise<number>;
  /** Attempts one notification now, whatever its schedule, unless another worker is attempting it; says where it stands then. */
  attemptNow(notificationId: string): Promise<AttemptState>;
}

interface SubscriptionResult {
  subscription: SubscriptionRow;
  outcome: PushOutcome;
  statusCode: number | null;
  error: string | null;
}

// Outcomes after which an endpoint is not tried again for the same notification.
const SETTLED = new Set(['sent', 'gone', 'rejected']);

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.name === 'TimeoutError' ? 'timed out' : err.message}${cause}`.slice(0, 500);
  }
  return String(err).slice(0, 500);
}

/** "2 gone (410), 1 rejected (403 …)": what went wrong, for the event and the log. */
function summary(results: SubscriptionResult[]): string | undefined {
  const failed = results.filter((r) => r.outcome !== 'sent');
  if (failed.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const r of failed) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const last = failed.at(-1)!;
  const parts = [...counts].map(([outcome, n]) => `${n} ${outcome === 'retry' ? 'failed for now' : outcome}`);
  return `${parts.join(', ')} of ${results.length} subscription(s); last: ${last.error ?? last.outcome}`.slice(0, 1_000);
}

/**
 * Delivers the pending notifications to every browser their customer subscribed. Each attempt is claimed
 * (counted, leased), sent to the subscriptions that have not settled yet, then finished in ONE transaction:
 * each endpoint's answer, the removal of subscriptions their push service declared gone (404/410), and, once
 * nothing is left to retry, the notification's outcome with `push.delivered` (at least one browser took it)
 * or `push.failed` (none did; or the customer has no subscription at all, `NO_SUBSCRIPTION_ERROR`). Endpoints
 * that failed for now (429, 5xx, no answer) are retried with backoff until `policy.maxAttempts`.
 */
export function createPusher(deps: PusherDeps): Pusher {
  const { prisma, publish, sender, policy, logger, leaseMs } = deps;
  const batchSize = deps.batchSize ?? 10;
  const random = deps.random ?? Math.random;

  async function sendTo(notification: NotificationRow, subscription: SubscriptionRow, payload: string): Promise<SubscriptionResult> {
    if (subscription.expiresAt && subscription.expiresAt.getTime() <= Date.now()) {
      return { subscription, outcome: 'gone', statusCode: null, error: 'the subscription expired' };
    }
    try {
      const target = { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } };
      const attributes = { 'shop.notification_id': notification.notificationId };
      const response = await inSpan('web-push send', { kind: 'client', attributes }, async (span) => {
        const answer = await sender.send(target, payload, {
          // RFC 8030 §5.4: a resent copy (after a crash before our commit) replaces the undelivered first one.
          topic: notification.notificationId.replaceAll('-', ''),
        });
        span.setAttributes({ 'http.response.status_code': answer.statusCode });
        return answer;
      });
      const outcome = classifyPushStatus(response.statusCode);
      return { subscription, outcome, statusCode: response.statusCode, error: outcome === 'sent' ? null : `${response.statusCode} ${response.body}`.trim() };
    } catch (err) {
      // An endpoint on a non-public address is refused the same way every time: give up on it now.
      return { subscription, outcome: isBlockedEndpoint(err) ? 'rejected' : 'retry', statusCode: null, error: describe(err) };
    }
  }

  /** One attempt in the trace of the request for the push, so the sends and the outcome event join the checkout's trace. */
  function attempt(notification: NotificationRow): Promise<AttemptState> {
    return runInTrace(notification.traceparent, () => attemptInTrace(notification));
  }

  async function attemptInTrace(notification: NotificationRow): Promise<AttemptState> {
    const { notificationId, attempts } = notification;
    const before = await deliveriesOf(prisma, notificationId);
    const subscriptions = (await subscriptionsOfCustomer(prisma, notification.customerId)).filter((s) => !SETTLED.has(before.get(s.endpoint) ?? ''));
    const payload = pushPayload(notification);
    const limit = pLimit(PUSH_FANOUT_CONCURRENCY);
    const results = await Promise.all(subscriptions.map((s) => limit(() => sendTo(notification, s, payload))));

    const sentBefore = [...before.values()].filter((o) => o === 'sent').length;
    const sentNow = results.filter((r) => r.outcome === 'sent').length;
    const retrying = results.some((r) => r.outcome === 'retry');
    const problems = summary(results);
    let result: AttemptResult;
    if (retrying && attempts < policy.maxAttempts) {
      result = { status: 'pending', error: problems!, nextAttemptAt: new Date(Date.now() + retryDelayMs(policy, attempts, random)) };
    } else if (sentBefore + sentNow > 0) {
      result = { status: 'sent' };
    } else {
      // No subscription at all (none now, none tried before): a push the customer cannot receive, marked as such.
      const why = results.length === 0 && before.size === 0 ? NO_SUBSCRIPTION_ERROR : (problems ?? 'no subscription took the message');
      result = { status: 'failed', error: retrying ? `${why} (gave up after ${attempts} attempts)` : why };
    }

    const outcome =
      result.status === 'sent'
        ? envelopeOf('push', 'push.delivered', { notification_id: notificationId, attempt: attempts, ...(problems ? { error: problems } : {}) }, notification.correlationId)
        : result.status === 'failed'
          ? envelopeOf('push', 'push.failed', { notification_id: notificationId, attempt: attempts, error: result.error }, notification.correlationId)
          : undefined;
    const lastError = result.status === 'sent' ? (problems ?? null) : null;
    // Nothing was pushed (the customer has no subscription, the common case in a sale): one statement does.
    const owned = results.length === 0
      ? await finishAttemptAndPublish(prisma, notificationId, attempts, result, lastError, outcome && outboxValues(outcome))
      : await inTransaction(prisma, async (tx) => {
      if (!(await finishAttempt(tx, notificationId, attempts, result, lastError))) return false;
      for (const r of results) {
        await recordDelivery(tx, { notificationId, endpoint: r.subscription.endpoint, outcome: r.outcome === 'retry' ? 'retrying' : r.outcome, statusCode: r.statusCode, error: r.error, attempt: attempts });
        if (r.outcome === 'gone') await deleteGoneSubscription(tx, r.subscription);
      }
      const options = { correlationId: notification.correlationId };
      if (result.status === 'sent') {
        await publish(tx, 'push.delivered', { notification_id: notificationId, attempt: attempts, ...(problems ? { error: problems } : {}) }, options);
      } else if (result.status === 'failed') {
        await publish(tx, 'push.failed', { notification_id: notificationId, attempt: attempts, error: result.error }, options);
      }
      return true;
    });

    const log = { notification_id: notificationId, customer_id: notification.customerId, attempt: attempts, subscriptions: results.length };
    if (!owned) {
      logger.warn(log, 'push attempt outlived its lease; another worker owns the notification now');
      return 'in-flight';
    }
    if (result.status === 'sent') logger.info({ ...log, delivered_to: sentBefore + sentNow, problems }, `push sent: ${notification.title}`);
    else if (result.status === 'failed') logger.warn({ ...log, error: result.error }, 'push failed for good');
    else logger.warn({ ...log, error: result.error, next_attempt_at: result.nextAttemptAt }, 'push attempt failed for some subscriptions; will retry');
    return result.status;
  }

  return {
    async runDue() {
      const claimed = await notificationLeases.claimDue(prisma, { limit: batchSize, leaseMs });
      await Promise.all(
        claimed.map((n) => attempt(n).catch((err: unknown) => logger.error({ err, notification_id: n.notificationId }, 'push attempt could not be recorded'))),
      );
      return claimed.length;
    },
    async attemptNow(notificationId) {
      const row = await notificationLeases.claim(prisma, notificationId, leaseMs);
      if (row) return attempt(row);
      const current = await findNotification(prisma, notificationId);
      if (!current) return 'unknown';
      return current.status === 'pending' ? 'in-flight' : (current.status as AttemptState);
    },
  };
}
