import type { Prisma, PrismaClient, Tx } from '@shop/db';
import type { Channel, NotificationRow, NotificationStatus, NotificationType } from '../domain/notification';

type Client = PrismaClient | Tx;

export interface NewNotification {
  notificationId: string;
  customerId: string;
  type: NotificationType;
  channel: Channel;
  status: NotificationStatus;
  subject: string;
  text: string;
  html: string | null;
  url: string | null;
  recipient: string | null;
  requestedAt: Date | null;
  lastError: string | null;
  orderId: string | null;
  details: Prisma.InputJsonValue;
}

/** Inserts unless a notification with this id exists; true when it was new. */
export async function insertNotification(tx: Tx, row: NewNotification): Promise<boolean> {
  const { count } = await tx.notification.createMany({ data: [row], skipDuplicates: true });
  return count === 1;
}

export function findNotification(db: Client, notificationId: string): Promise<NotificationRow | null> {
  return db.notification.findUnique({ where: { notificationId } });
}

/**
 * A notification's channel and status, its row locked until the transaction ends (FOR UPDATE): an outcome
 * handled at the same moment as the withdrawal of its notification waits for it, then finds nothing.
 */
export async function lockNotification(tx: Tx, notificationId: string): Promise<{ channel: string; status: string } | undefined> {
  const rows = await tx.$queryRaw<{ channel: string; status: string }[]>`
    SELECT channel, status FROM notification.notifications WHERE notification_id = ${notificationId}::uuid FOR UPDATE`;
  return rows[0];
}

/** Deletes one notification; true when it existed. Its history is the caller's to delete (no foreign key). */
export async function deleteNotification(tx: Tx, notificationId: string): Promise<boolean> {
  const { count } = await tx.notification.deleteMany({ where: { notificationId } });
  return count > 0;
}

export interface NotificationFilters {
  customerId?: string;
  type?: NotificationType;
  channel?: Channel;
  status?: NotificationStatus;
}

/** Newest first, keyset-paged on (created_at, notification_id); fetches `limit + 1` to know if more follow. */
export function listNotificationRows(
  db: Client,
  options: NotificationFilters & { limit: number; before?: { createdAt: Date; notificationId: string } },
): Promise<NotificationRow[]> {
  const { before } = options;
  return db.notification.findMany({
    where: {
      ...(options.customerId ? { customerId: options.customerId } : {}),
      ...(options.type ? { type: options.type } : {}),
      ...(options.channel ? { channel: options.channel } : {}),
      ...(options.status ? { status: options.status } : {}),
      ...(before
        ? { OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, notificationId: { lt: before.notificationId } }] }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { notificationId: 'desc' }],
    take: options.limit + 1,
  });
}

/** How many notifications are failed, per channel: the console's "at a glance". */
export async function countFailed(db: Client): Promise<Record<Channel, number>> {
  const groups = await db.notification.groupBy({ by: ['channel'], where: { status: 'failed' }, _count: { _all: true } });
  const counts: Record<Channel, number> = { email: 0, push: 0 };
  for (const g of groups) if (g.channel === 'email' || g.channel === 'push') counts[g.channel] = g._count._all;
  return counts;
}

/** E-mails parked until the customer's address is known, oldest first. */
export function awaitingAddress(tx: Tx, customerId: string): Promise<NotificationRow[]> {
  return tx.notification.findMany({
    where: { customerId, channel: 'email', status: 'pending', requestedAt: null },
    orderBy: [{ createdAt: 'asc' }, { notificationId: 'asc' }],
  });
}

export async function markEmailRequested(
  tx: Tx,
  notificationId: string,
  data: { recipient: string; subject: string; text: string; html: string; requestedAt: Date },
): Promise<void> {
  await tx.notification.update({ where: { notificationId }, data: { ...data, updatedAt: new Date() } });
}

/** Fails every e-mail still waiting for the customer's address. */
export async function failAwaitingAddress(tx: Tx, customerId: string, error: string): Promise<number> {
  const { count } = await tx.notification.updateMany({
    where: { customerId, channel: 'email', status: 'pending', requestedAt: null },
    data: { status: 'failed', lastError: error, updatedAt: new Date() },
  });
  return count;
}

/** The notifications already made for an order, of one type. */
export function notificationsOfOrder(tx: Tx, orderId: string, type: NotificationType): Promise<NotificationRow[]> {
  return tx.notification.findMany({ where: { orderId, type } });
}

/**
 * Applies one delivery outcome in a single statement, so two outcomes for the same notification handled at
 * once (email.delivered and email.failed come on different subscriptions, in any order) cannot lose either:
 * `sent` is final (a late failure of an earlier attempt does not undo a delivery), `attempts` only grows,
 * and `last_error` is the error of the latest failed attempt. Returns false when no notification with this
 * id and channel exists.
 */
export async function applyOutcome(
  tx: Tx,
  outcome: { notificationId: string; channel: Channel; outcome: 'delivered' | 'failed'; attempt: number; error: string | null; occurredAt: Date },
): Promise<boolean> {
  const delivered = outcome.outcome === 'delivered';
  const count = await tx.$executeRaw`
    UPDATE notification.notifications SET
      status = CASE WHEN ${delivered} OR status = 'sent' THEN 'sent' ELSE 'failed' END,
      sent_at = CASE WHEN ${delivered} THEN COALESCE(sent_at, ${outcome.occurredAt}) ELSE sent_at END,
      last_error = CASE WHEN NOT ${delivered} AND ${outcome.attempt} >= attempts THEN ${outcome.error} ELSE last_error END,
      attempts = GREATEST(attempts, ${outcome.attempt}),
      updated_at = now()
    WHERE notification_id = ${outcome.notificationId}::uuid AND channel = ${outcome.channel}`;
  return count > 0;
}
