import { z } from 'zod';
import type { MessageRow } from '../db/messages.queries';

/** The address part of `Name <addr@domain>` or of a bare address. */
export function addressOf(mailbox: string): string {
  return /<([^<>]+)>\s*$/.exec(mailbox)?.[1]?.trim() ?? mailbox.trim();
}

/**
 * The Message-ID of a notification's e-mail, derived from the notification id and the sender's domain: every
 * retry, and a resend after a crash between the server's acceptance and our commit, carries the same id, so a
 * mailbox that deduplicates by Message-ID shows it once.
 */
export function messageIdFor(notificationId: string, from: string): string {
  const domain = addressOf(from).split('@').at(-1) || 'localhost';
  return `<${notificationId}@${domain}>`;
}

export const MessageStatus = z.enum(['pending', 'sent', 'failed']);

/** An entry of the sent-mail log, as support reads it. */
export const MessageResource = z.object({
  notification_id: z.uuid(),
  customer_id: z.uuid(),
  correlation_id: z.string(),
  from: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  message_id: z.string(),
  status: MessageStatus,
  attempts: z.int(),
  last_error: z.string().nullable(),
  smtp_response: z.string().nullable(),
  next_attempt_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  sent_at: z.iso.datetime().nullable(),
  failed_at: z.iso.datetime().nullable(),
});
export type MessageResource = z.infer<typeof MessageResource>;

/** Maps a row to the wire shape, once, at the edge. */
export function toMessageResource(row: MessageRow): MessageResource {
  return {
    notification_id: row.notificationId,
    customer_id: row.customerId,
    correlation_id: row.correlationId,
    from: row.sender,
    to: row.recipient,
    subject: row.subject,
    text: row.text,
    html: row.html,
    message_id: row.messageId,
    status: MessageStatus.parse(row.status),
    attempts: row.attempts,
    last_error: row.lastError,
    smtp_response: row.smtpResponse,
    next_attempt_at: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    created_at: row.createdAt.toISOString(),
    sent_at: row.sentAt?.toISOString() ?? null,
    failed_at: row.failedAt?.toISOString() ?? null,
  };
}
