import { leasedRows, type PrismaClient, type Tx } from '@shop/db';

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
