import { leasedRows, type PrismaClient, type Tx } from '@shop/db';
import { outboxChannel, outboxInsertCte } from '@shop/events';

type Client = PrismaClient | Tx;

/** A `push.notifications` row as Prisma returns it. */
export interface NotificationRow {
  notificationId: string;
  customerId: string;
  eventId: string;
  correlationId: string;
  /** The trace of the consumer that recorded the notification, which pushing it continues. */
  traceparent: string | null;
  title: string;
  text: string;
  url: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  failedAt: Date | null;
}

/** The NOTIFY channel that wakes the pusher when a notification is recorded (delivered at commit). */
export const NOTIFICATIONS_CHANNEL = 'push_notifications';

export type NewNotification = Pick<NotificationRow, 'notificationId' | 'customerId' | 'eventId' | 'correlationId' | 'traceparent' | 'title' | 'text' | 'url'>;

/** Records a requested push unless its notification already has one. True when recorded. */
export async function insertNotification(db: Client, notification: NewNotification): Promise<boolean> {
  // One statement, the wake-up included: every requested push passes here.
  const n = notification;
  const recorded = await db.$executeRaw`
    WITH recorded AS (
      INSERT INTO push.notifications (notification_id, customer_id, event_id, correlation_id, traceparent, title, text, url)
      VALUES (${n.notificationId}::uuid, ${n.customerId}::uuid, ${n.eventId}::uuid, ${n.correlationId}, ${n.traceparent}, ${n.title}, ${n.text}, ${n.url})
      ON CONFLICT DO NOTHING RETURNING 1)
    SELECT pg_notify(${NOTIFICATIONS_CHANNEL}, '') FROM recorded`;
  return recorded > 0;
}

/**
 * Claims of due notifications, each leased to one worker for its attempt: a notification is not pushed twice
 * while its worker lives, and is due again once the lease ran out (its worker died).
 */
export const notificationLeases = leasedRows<NotificationRow>({ schema: 'push', table: 'notifications', key: 'notification_id' });

export type AttemptResult = { status: 'sent' } | { status: 'failed'; error: string } | { status: 'pending'; error: string; nextAttemptAt: Date };

/** Writes an attempt's result while this attempt still owns the row (`attempts = attempt`); false otherwise. */
export async function finishAttempt(db: Client, notificationId: string, attempt: number, result: AttemptResult, error: string | null): Promise<boolean> {
  const now = new Date();
  const data =
    result.status === 'sent'
      ? { status: 'sent', sentAt: now, lastError: error }
      : result.status === 'failed'
        ? { status: 'failed', failedAt: now, lastError: result.error }
        : { lastError: result.error, nextAttemptAt: result.nextAttemptAt };
  const { count } = await db.pushNotification.updateMany({
    where: { notificationId, status: 'pending', attempts: attempt },
    data: { ...data, lockedUntil: null, updatedAt: now },
  });
  return count === 1;
}

/** What each push service answered for a notification so far, by endpoint. */
export async function deliveriesOf(db: Client, notificationId: string): Promise<Map<string, string>> {
  // Raw: asked before every attempt, and a raw query skips the ORM's query planning.
  const rows = await db.$queryRaw<{ endpoint: string; outcome: string }[]>`
    SELECT endpoint, outcome FROM push.deliveries WHERE notification_id = ${notificationId}::uuid`;
  return new Map(rows.map((r) => [r.endpoint, r.outcome]));
}

/**
 * An attempt that pushed to no subscription (the customer has none): its result and its `push.failed` (or
 * `push.delivered`, `outcome`, built by the caller) in ONE statement, outside any transaction. Guarded like
 * `finishAttempt`; false when another worker owns the notification now.
 */
export async function finishAttemptAndPublish(db: PrismaClient, notificationId: string, attempt: number, result: AttemptResult, error: string | null, outcome: readonly string[] | undefined): Promise<boolean> {
  const rows = await db.$queryRawUnsafe<unknown[]>(
    `WITH finished AS (
       UPDATE push.notifications SET
         status = CASE $3 WHEN 'pending' THEN status ELSE $3 END,
         sent_at = CASE $3 WHEN 'sent' THEN now() ELSE sent_at END,
         failed_at = CASE $3 WHEN 'failed' THEN now() ELSE failed_at END,
         last_error = $4,
         next_attempt_at = CASE $3 WHEN 'pending' THEN $5::timestamptz ELSE next_attempt_at END,
         locked_until = NULL, updated_at = now()
       WHERE notification_id = $1::uuid AND status = 'pending' AND attempts = $2::int
       RETURNING 1),
     outcome AS (SELECT 1 FROM finished WHERE $6::boolean),
     ${outboxInsertCte('published', 'push', [{ first: 7, guard: 'outcome' }])}
     SELECT (SELECT pg_notify('${outboxChannel('push')}', '')::text FROM outcome) AS relay FROM finished`,
    notificationId,
    attempt,
    result.status,
    result.status === 'sent' ? error : result.error,
    result.status === 'pending' ? result.nextAttemptAt.toISOString() : null,
    outcome !== undefined,
    ...(outcome ?? [null, null, null, null, null]),
  );
  return rows.length === 1;
}

export async function recordDelivery(
  db: Client,
  delivery: { notificationId: string; endpoint: string; outcome: string; statusCode: number | null; error: string | null; attempt: number },
): Promise<void> {
  const { notificationId, endpoint, ...rest } = delivery;
  await db.pushDelivery.upsert({
    where: { notificationId_endpoint: { notificationId, endpoint } },
    create: delivery,
    update: { ...rest, updatedAt: new Date() },
  });
}

export function findNotification(db: Client, notificationId: string): Promise<NotificationRow | null> {
  return db.pushNotification.findUnique({ where: { notificationId } });
}

/** A notification with how many browsers took it. */
export type NotificationWithCount = NotificationRow & { deliveredTo: number };

/** A customer's notifications, newest first, keyset-paged on (created_at, notification_id); `limit + 1` rows. */
export async function listNotifications(
  db: Client,
  options: { customerId: string; limit: number; before?: { createdAt: Date; notificationId: string } },
): Promise<NotificationWithCount[]> {
  const { before } = options;
  const rows = await db.pushNotification.findMany({
    where: {
      customerId: options.customerId,
      ...(before
        ? { OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, notificationId: { lt: before.notificationId } }] }
        : {}),
    },
    include: { _count: { select: { deliveries: { where: { outcome: 'sent' } } } } },
    orderBy: [{ createdAt: 'desc' }, { notificationId: 'desc' }],
    take: options.limit + 1,
  });
  return rows.map(({ _count, ...row }) => ({ ...row, deliveredTo: _count.deliveries }));
}
