import { Prisma, type PrismaClient, type Tx } from '@shop/db';
import { outboxChannel, outboxInsertCte } from '@shop/events';
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

export function findNotification(db: Client, notificationId: string): Promise<NotificationRow | null> {
  return db.notification.findUnique({ where: { notificationId } });
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
  const count = await tx.$executeRaw`
    UPDATE notification.notifications SET ${outcomeAssignments(outcome)}
    WHERE notification_id = ${outcome.notificationId}::uuid AND channel = ${outcome.channel}`;
  return count > 0;
}

/** The columns an outcome moves (see `applyOutcome` for why in one statement). */
function outcomeAssignments(o: { outcome: 'delivered' | 'failed'; attempt: number; error: string | null; occurredAt: Date }): Prisma.Sql {
  const delivered = o.outcome === 'delivered';
  return Prisma.sql`
    status = CASE WHEN ${delivered} OR status = 'sent' THEN 'sent' ELSE 'failed' END,
    sent_at = CASE WHEN ${delivered} THEN COALESCE(sent_at, ${o.occurredAt}) ELSE sent_at END,
    last_error = CASE WHEN NOT ${delivered} AND ${o.attempt} >= attempts THEN ${o.error} ELSE last_error END,
    attempts = GREATEST(attempts, ${o.attempt}),
    updated_at = now()`;
}

/** One notification of `insertNotificationsOfCause`, and whether its request is published with it. */
export interface NotificationToCreate {
  row: NewNotification;
  /** The `email.requested` / `push.requested` to publish if the notification is new: its outbox values (`outboxValues`) and event id. */
  request?: { eventId: string; outbox: readonly string[] };
}

/** What `insertNotificationsOfCause` made: the new rows (none when the cause was handled before). */
export interface CreatedNotifications {
  email: NotificationRow | null;
  push: NotificationRow | null;
  /** Outcomes were recorded for these ids before they existed (a replay): the caller applies them. */
  hasRecordedOutcomes: boolean;
}

const NOTIFICATION_COLUMNS = 'notification_id, customer_id, type, channel, status, subject, text, html, url, recipient, requested_at, last_error, order_id, details';
const notificationValues = (first: number) => Array.from({ length: 14 }, (_, i) => `$${first + i}${['::uuid', '::uuid', '', '', '', '', '', '', '', '', '::timestamptz', '', '::uuid', '::jsonb'][i]}`).join(', ');
const valuesOf = (r: NewNotification) => [
  r.notificationId, r.customerId, r.type, r.channel, r.status, r.subject, r.text, r.html, r.url, r.recipient,
  r.requestedAt?.toISOString() ?? null, r.lastError, r.orderId, JSON.stringify(r.details),
];

/**
 * A cause's e-mail and push notifications in ONE statement: the e-mail notification unless it exists (then
 * the cause was handled before, and nothing is written), the push one only with a new e-mail one, and for each
 * new one with a request: its `*.requested` event in the outbox and the `requested` entry of its history. The
 * relay is woken at commit when an event was written.
 */
export async function insertNotificationsOfCause(tx: Tx, email: NotificationToCreate, push: NotificationToCreate, at: Date): Promise<CreatedNotifications> {
  const requestValues = (n: NotificationToCreate) => [n.request !== undefined, n.request?.eventId ?? null, ...(n.request?.outbox ?? [null, null, null, null, null])];
  // $1–$14 e-mail, $15–$28 push, $29 at; e-mail request $30 (wanted) $31 (event id) $32–$36 (outbox); push $37, $38, $39–$43.
  const sql = `WITH email AS (
      INSERT INTO notification.notifications (${NOTIFICATION_COLUMNS}) VALUES (${notificationValues(1)})
      ON CONFLICT DO NOTHING RETURNING *),
    push AS (
      INSERT INTO notification.notifications (${NOTIFICATION_COLUMNS}) SELECT ${notificationValues(15)} FROM email
      ON CONFLICT DO NOTHING RETURNING *),
    email_request AS (SELECT 1 FROM email WHERE $30::boolean),
    push_request AS (SELECT 1 FROM push WHERE $37::boolean),
    ${outboxInsertCte('requests', 'notification', [{ first: 32, guard: 'email_request' }, { first: 39, guard: 'push_request' }])},
    requested AS (
      INSERT INTO notification.notification_deliveries (notification_id, channel, outcome, event_id, occurred_at)
      SELECT $1::uuid, 'email', 'requested', $31::uuid, $29::timestamptz FROM email_request
      UNION ALL SELECT $15::uuid, 'push', 'requested', $38::uuid, $29::timestamptz FROM push_request
      ON CONFLICT DO NOTHING RETURNING 1)
    SELECT (SELECT row_to_json(email) FROM email) AS email, (SELECT row_to_json(push) FROM push) AS push,
           EXISTS (SELECT 1 FROM notification.notification_deliveries d
                    WHERE d.notification_id IN ($1::uuid, $15::uuid) AND d.outcome IN ('delivered', 'failed')) AS recorded,
           (SELECT pg_notify('${outboxChannel('notification')}', '')::text WHERE EXISTS (SELECT 1 FROM email_request) OR EXISTS (SELECT 1 FROM push_request)) AS relay`;
  const [result] = await tx.$queryRawUnsafe<{ email: unknown; push: unknown; recorded: boolean }[]>(
    sql,
    ...valuesOf(email.row),
    ...valuesOf(push.row),
    at.toISOString(),
    ...requestValues(email),
    ...requestValues(push),
  );
  return { email: notificationOfJson(result?.email), push: notificationOfJson(result?.push), hasRecordedOutcomes: result?.recorded === true };
}

/** A notification from `row_to_json` (snake_case, times as text); null for none. */
function notificationOfJson(value: unknown): NotificationRow | null {
  if (value === null || value === undefined) return null;
  const r = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    notificationId: r['notification_id'] as string,
    customerId: r['customer_id'] as string,
    type: r['type'] as string,
    channel: r['channel'] as string,
    status: r['status'] as string,
    subject: r['subject'] as string,
    text: r['text'] as string,
    html: (r['html'] as string | null) ?? null,
    url: (r['url'] as string | null) ?? null,
    recipient: (r['recipient'] as string | null) ?? null,
    requestedAt: date(r['requested_at']),
    attempts: r['attempts'] as number,
    lastError: (r['last_error'] as string | null) ?? null,
    orderId: (r['order_id'] as string | null) ?? null,
    details: r['details'],
    createdAt: date(r['created_at'])!,
    updatedAt: date(r['updated_at'])!,
    sentAt: date(r['sent_at']),
  };
}

/**
 * A push outcome's first step, in ONE statement: locks the notification (an outcome handled at the same moment
 * as the withdrawal waits for it, then finds nothing) and, when `withdraw` and it is a push notification not
 * yet `sent`, deletes it and its history. Says whether it existed and whether it was withdrawn.
 */
export async function lockOrWithdrawPush(tx: Tx, notificationId: string, withdraw: boolean): Promise<{ exists: boolean; withdrawn: boolean }> {
  const [row] = await tx.$queryRaw<{ exists: boolean; withdrawn: boolean }[]>`
    WITH current AS (
      SELECT notification_id, channel, status FROM notification.notifications WHERE notification_id = ${notificationId}::uuid FOR UPDATE),
    withdrawn AS (
      DELETE FROM notification.notifications n USING current c
       WHERE n.notification_id = c.notification_id AND c.channel = 'push' AND c.status <> 'sent' AND ${withdraw}
      RETURNING 1),
    history AS (
      DELETE FROM notification.notification_deliveries WHERE notification_id = ${notificationId}::uuid AND EXISTS (SELECT 1 FROM withdrawn)
      RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM current) AS exists, EXISTS (SELECT 1 FROM withdrawn) AS withdrawn`;
  return { exists: row?.exists === true, withdrawn: row?.withdrawn === true };
}

/**
 * Records an outcome in the history (once per event) and, when it was new, applies it (`applyOutcome`'s rules),
 * in ONE statement. `applied` is false for a new outcome whose notification (of that channel) does not exist.
 */
export async function recordAndApplyOutcome(
  tx: Tx,
  o: { notificationId: string; channel: Channel; outcome: 'delivered' | 'failed'; attempt: number; error: string | null; eventId: string; occurredAt: Date },
): Promise<{ recorded: boolean; applied: boolean }> {
  const [row] = await tx.$queryRaw<{ recorded: boolean; applied: boolean }[]>`
    WITH recorded AS (
      INSERT INTO notification.notification_deliveries (notification_id, channel, outcome, attempt, error, event_id, occurred_at)
      VALUES (${o.notificationId}::uuid, ${o.channel}, ${o.outcome}, ${o.attempt}, ${o.error}, ${o.eventId}::uuid, ${o.occurredAt})
      ON CONFLICT DO NOTHING RETURNING 1),
    applied AS (
      UPDATE notification.notifications SET ${outcomeAssignments(o)}
      WHERE notification_id = ${o.notificationId}::uuid AND channel = ${o.channel} AND EXISTS (SELECT 1 FROM recorded)
      RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM recorded) AS recorded, EXISTS (SELECT 1 FROM applied) AS applied`;
  return { recorded: row?.recorded === true, applied: row?.applied === true };
}
