import { leasedRows, type PrismaClient, type RunStatement, type Statement, type Tx } from '@shop/db';
import { outboxChannel, outboxInsertCte } from '@shop/events';

type Client = PrismaClient | Tx;

/** An `email.messages` row as Prisma returns it. */
export interface MessageRow {
  notificationId: string;
  customerId: string;
  eventId: string;
  correlationId: string;
  /** The trace of the consumer that recorded the message, which sending it continues. */
  traceparent: string | null;
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
  'notificationId' | 'customerId' | 'eventId' | 'correlationId' | 'traceparent' | 'sender' | 'recipient' | 'subject' | 'text' | 'html' | 'messageId'
>;

/**
 * Records a requested message unless its notification already has one (ON CONFLICT DO NOTHING: a second
 * `email.requested` for the same notification, with another event id, sends nothing more). True when recorded.
 */
export async function insertMessage(db: Client, message: NewMessage): Promise<boolean> {
  // One statement, the wake-up included: every requested e-mail passes here.
  const recorded = await db.$executeRaw`
    WITH recorded AS (
      INSERT INTO email.messages (notification_id, customer_id, event_id, correlation_id, traceparent, sender, recipient, subject, text, html, message_id)
      VALUES (${message.notificationId}::uuid, ${message.customerId}::uuid, ${message.eventId}::uuid, ${message.correlationId}, ${message.traceparent}, ${message.sender},
              ${message.recipient}, ${message.subject}, ${message.text}, ${message.html}, ${message.messageId})
      ON CONFLICT DO NOTHING RETURNING 1)
    SELECT pg_notify(${MESSAGES_CHANNEL}, '') FROM recorded`;
  return recorded > 0;
}

/**
 * Claims of due messages, each leased to one worker for its attempt: a message is not sent twice while its
 * worker lives, and is due again once the lease ran out (its worker died).
 */
export const messageLeases = leasedRows<MessageRow>({ schema: 'email', table: 'messages', key: 'notification_id' });

/** The result of one attempt, written only while this attempt still owns the row. */
export type AttemptResult =
  | { status: 'sent'; smtpResponse: string }
  | { status: 'failed'; error: string }
  | { status: 'pending'; error: string; nextAttemptAt: Date };

const FINISH_AND_PUBLISH: Statement = {
  name: 'email_finish_attempt',
  text: `WITH finished AS (
      UPDATE email.messages SET
        status = CASE $3 WHEN 'pending' THEN status ELSE $3 END,
        smtp_response = CASE $3 WHEN 'sent' THEN $4 ELSE smtp_response END,
        last_error = CASE $3 WHEN 'sent' THEN NULL ELSE $5 END,
        sent_at = CASE $3 WHEN 'sent' THEN now() ELSE sent_at END,
        failed_at = CASE $3 WHEN 'failed' THEN now() ELSE failed_at END,
        next_attempt_at = CASE $3 WHEN 'pending' THEN $6::timestamptz ELSE next_attempt_at END,
        locked_until = NULL, updated_at = now()
      WHERE notification_id = $1::uuid AND status = 'pending' AND attempts = $2::int
      RETURNING 1),
    outcome AS (SELECT 1 FROM finished WHERE $7::boolean),
    ${outboxInsertCte('published', 'email', [{ first: 8, guard: 'outcome' }])}
    SELECT (SELECT pg_notify('${outboxChannel('email')}', '')::text FROM outcome) AS relay FROM finished`,
};

/**
 * Writes an attempt's result and, for a final one, its `email.delivered` / `email.failed` (`outcome`, built by
 * the caller) in ONE statement: both or neither. Guarded by `attempts = attempt`: if the lease ran out and
 * another worker claimed the message meanwhile, this writes nothing and returns false, and that worker's
 * result counts.
 */
export async function finishAttemptAndPublish(run: RunStatement, notificationId: string, attempt: number, result: AttemptResult, outcome: readonly string[] | undefined): Promise<boolean> {
  const rows = await run(FINISH_AND_PUBLISH, [
    notificationId,
    attempt,
    result.status,
    result.status === 'sent' ? result.smtpResponse : null,
    result.status === 'sent' ? null : result.error,
    result.status === 'pending' ? result.nextAttemptAt.toISOString() : null,
    outcome !== undefined,
    ...(outcome ?? [null, null, null, null, null]),
  ]);
  return rows.length === 1;
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
