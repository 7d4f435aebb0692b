import { leasedRows, type PrismaClient, type Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** A `push.notifications` row as Prisma returns it. */
export interface NotificationRow {
  notificationId: string;
  customerId: string;
  eventId: string;
  correlationId: string;
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

export type NewNotification = Pick<NotificationRow, 'notificationId' | 'customerId' | 'eventId' | 'correlationId' | 'title' | 'text' | 'url'>;

/** Records a requested push unless its notification already has one. True when recorded. */
export async function insertNotification(db: Client, notification: NewNotification): Promise<boolean> {
  const { count } = await db.pushNotification.createMany({ data: [notification], skipDuplicates: true });
  if (count > 0) await db.$executeRawUnsafe(`SELECT pg_notify('${NOTIFICATIONS_CHANNEL}', '')`);
  return count > 0;
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
  const rows = await db.pushDelivery.findMany({ where: { notificationId }, select: { endpoint: true, outcome: true } });
  return new Map(rows.map((r) => [r.endpoint, r.outcome]));
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
