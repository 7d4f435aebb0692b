import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** An `email.messages` row as Prisma returns it. */
export interface MessageRow {
  notificationId: string;
  customerId: string;
  eventId: string;
  correlationId: string;
  sender: string;
  recipient: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  status: string;
  attempts: number;
  lastError: string | null;
  smtpResponse: string | null;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  failedAt: Date | null;
}

/** The NOTIFY channel that wakes the mailer when a message is recorded (delivered at commit). */
export const MESSAGES_CHANNEL = 'email_messages';

export type NewMessage = Pick<
  MessageRow,
  'notificationId' | 'customerId' | 'eventId' | 'correlationId' | 'sender' | 'recipient' | 'subject' | 'text' | 'html' | 'messageId'
>;

/**
 * Records a requested message unless its notification already has one (ON CONFLICT DO NOTHING: a second
 * `email.requested` for the same notification, with another event id, sends nothing more). True when recorded.
 */
export async function insertMessage(db: Client, message: NewMessage): Promise<boolean> {
  const { count } = await db.emailMessage.createMany({ data: [message], skipDuplicates: true });
  if (count > 0) await db.$executeRawUnsafe(`SELECT pg_notify('${MESSAGES_CHANNEL}', '')`);
  return count > 0;
}

const COLUMNS: [string, string][] = [
  ['notification_id', 'notificationId'],
  ['customer_id', 'customerId'],
  ['event_id', 'eventId'],
  ['correlation_id', 'correlationId'],
  ['sender', 'sender'],
  ['recipient', 'recipient'],
  ['subject', 'subject'],
  ['text', 'text'],
  ['html', 'html'],
  ['message_id', 'messageId'],
  ['status', 'status'],
  ['attempts', 'attempts'],
  ['last_error', 'lastError'],
  ['smtp_response', 'smtpResponse'],
  ['next_attempt_at', 'nextAttemptAt'],
  ['locked_until', 'lockedUntil'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
  ['sent_at', 'sentAt'],
  ['failed_at', 'failedAt'],
];

/** The RETURNING list that reads a row back as a `MessageRow`. */
function returning(table: string): string {
  return COLUMNS.map(([column, field]) => `${table}.${column} AS "${field}"`).join(', ');
}

/**
 * Claims up to `limit` due messages for one attempt each: counts the attempt and leases the row for `leaseMs`.
 * SKIP LOCKED lets several workers claim side by side; an unexpired lease keeps a message in flight elsewhere
 * from being sent twice, and an expired one (its worker died) makes it due again.
 */
export function claimDueMessages(db: Client, options: { limit: number; leaseMs: number }): Promise<MessageRow[]> {
  return db.$queryRawUnsafe<MessageRow[]>(
    `UPDATE email.messages m SET attempts = m.attempts + 1, locked_until = now() + make_interval(secs => $2), updated_at = now()
     FROM (SELECT notification_id FROM email.messages
           WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
     WHERE m.notification_id = due.notification_id
     RETURNING ${returning('m')}`,
    options.limit,
    options.leaseMs / 1000,
  );
}

/** Claims one pending message now, whatever its schedule, unless another worker holds its lease. */
export async function claimMessage(db: Client, notificationId: string, leaseMs: number): Promise<MessageRow | undefined> {
  const rows = await db.$queryRawUnsafe<MessageRow[]>(
    `UPDATE email.messages m SET attempts = m.attempts + 1, locked_until = now() + make_interval(secs => $2), updated_at = now()
     WHERE m.notification_id = $1::uuid AND m.status = 'pending' AND (m.locked_until IS NULL OR m.locked_until <= now())
     RETURNING ${returning('m')}`,
    notificationId,
    leaseMs / 1000,
  );
  return rows[0];
}

/**
 * Milliseconds until the next pending message falls due (its retry time, or the end of an unexpired lease), by
 * the database's clock, which is the one claims compare with; null when nothing is pending.
 */
export async function nextDueInMs(db: Client): Promise<number | null> {
  const rows = await db.$queryRawUnsafe<{ ms: number | null }[]>(
    `SELECT (EXTRACT(EPOCH FROM min(GREATEST(next_attempt_at, COALESCE(locked_until, next_attempt_at))) - now()) * 1000)::float8 AS ms
     FROM email.messages WHERE status = 'pending'`,
  );
  return rows[0]?.ms ?? null;
}

/** The result of one attempt, written only while this attempt still owns the row. */
export type AttemptResult =
  | { status: 'sent'; smtpResponse: string }
  | { status: 'failed'; error: string }
  | { status: 'pending'; error: string; nextAttemptAt: Date };

/**
 * Writes an attempt's result, guarded by `attempts = attempt`: if the lease ran out and another worker claimed
 * the message meanwhile, this writes nothing and returns false, and that worker's result counts.
 */
export async function finishAttempt(db: Client, notificationId: string, attempt: number, result: AttemptResult): Promise<boolean> {
  const now = new Date();
  const data =
    result.status === 'sent'
      ? { status: 'sent', smtpResponse: result.smtpResponse, sentAt: now, lastError: null }
      : result.status === 'failed'
        ? { status: 'failed', lastError: result.error, failedAt: now }
        : { lastError: result.error, nextAttemptAt: result.nextAttemptAt };
  const { count } = await db.emailMessage.updateMany({
    where: { notificationId, status: 'pending', attempts: attempt },
    data: { ...data, lockedUntil: null, updatedAt: now },
  });
  return count === 1;
}

export function findMessage(db: Client, notificationId: string): Promise<MessageRow | null> {
  return db.emailMessage.findUnique({ where: { notificationId } });
}

/** Newest first, keyset-paged on (created_at, notification_id); fetches `limit + 1` to know if more follow. */
export function listMessages(
  db: Client,
  options: { limit: number; before?: { createdAt: Date; notificationId: string }; customerId?: string; status?: string },
): Promise<MessageRow[]> {
  const { before } = options;
  return db.emailMessage.findMany({
    where: {
      ...(options.customerId ? { customerId: options.customerId } : {}),
      ...(options.status ? { status: options.status } : {}),
      ...(before
        ? { OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, notificationId: { lt: before.notificationId } }] }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { notificationId: 'desc' }],
    take: options.limit + 1,
  });
}
