import type { PrismaClient, RunStatement } from '@shop/db';
import { envelopeOf, outboxValues } from '@shop/events';
import { inSpan, runInTrace, type Logger } from '@shop/observability';
import type { AttemptState } from '@shop/service';
import { findMessage, finishAttemptAndPublish, messageLeases, type AttemptResult, type MessageRow } from '../db/messages.queries';
import { classifySmtpFailure, retryDelayMs, type RetryPolicy } from '../domain/delivery-policy';
import type { MailSender, OutgoingMail } from '../smtp/smtp-sender';

export interface MailerDeps {
  prisma: PrismaClient;
  /** The one-statement writes (`statementRunner`). */
  run: RunStatement;
  sender: MailSender;
  policy: RetryPolicy;
  logger: Logger;
  /**
   * How long one attempt owns its message. Longer than the slowest SMTP conversation the timeouts allow, so a
   * live worker never loses its message to another; when a worker dies, its message is retried after this.
   */
  leaseMs: number;
  /** Messages claimed (and sent concurrently) per round. */
  batchSize?: number;
  random?: () => number;
}

export interface Mailer {
  /** Attempts every due message once; resolves with how many it attempted. */
  runDue(): Promise<number>;
  /** Attempts one message now, whatever its schedule, unless another worker is attempting it; says where it stands then. */
  attemptNow(notificationId: string): Promise<AttemptState>;
}

// The database may blink, or stop for a while, after the server has already accepted the mail: try to record
// that for as long as the lease is ours (a message whose acceptance is not recorded is sent again, by whoever
// claims it once the lease runs out), a little apart, the last try well before the lease ends.
const RECORD_RETRY_MAX_MS = 2_000;
const LEASE_MARGIN_MS = 3_000;

/**
 * Sends the sent-mail log's pending messages over SMTP. Each attempt is claimed first (counted and leased in
 * its own statement), then sent outside any transaction, then finished in ONE transaction that writes the
 * outcome and publishes `email.delivered` or `email.failed` through the outbox: a message is `sent` exactly
 * when its event is committed. Temporary failures (4xx, no connection) are retried with backoff until
 * `policy.maxAttempts`; permanent ones (5xx) fail at once. The one window left is a crash between the server's
 * acceptance and that commit: the message is then sent again, with the same Message-ID.
 */
export function createMailer(deps: MailerDeps): Mailer {
  const { prisma, run, sender, policy, logger, leaseMs } = deps;
  const batchSize = deps.batchSize ?? 10;
  const random = deps.random ?? Math.random;

  function outgoing(row: MessageRow): OutgoingMail {
    return {
      from: row.sender,
      to: row.recipient,
      subject: row.subject,
      text: row.text,
      html: row.html,
      messageId: row.messageId,
      // RFC 3834: automatic mail, so vacation responders stay quiet; the id lets support trace a mail back.
      headers: { 'X-Notification-Id': row.notificationId, 'Auto-Submitted': 'auto-generated' },
    };
  }

  async function resultOf(row: MessageRow): Promise<AttemptResult> {
    try {
      const accepted = await inSpan('smtp send', { kind: 'client', attributes: { 'shop.notification_id': row.notificationId, 'shop.attempt': row.attempts } }, () =>
        sender.send(outgoing(row)),
      );
      return { status: 'sent', smtpResponse: accepted.response };
    } catch (err) {
      const failure = classifySmtpFailure(err);
      if (failure.permanent) return { status: 'failed', error: failure.error };
      if (row.attempts >= policy.maxAttempts) return { status: 'failed', error: `${failure.error} (gave up after ${row.attempts} attempts)` };
      return { status: 'pending', error: failure.error, nextAttemptAt: new Date(Date.now() + retryDelayMs(policy, row.attempts, random)) };
    }
  }

  /** Writes the outcome and its event together, in one statement; false when another worker took the message over meanwhile. */
  function record(row: MessageRow, result: AttemptResult): Promise<boolean> {
    // Both outcomes carry the Message-ID (the "either way … with the message id"): support can find
    // a bounce or a delivered copy in any mailbox by it.
    const outcome =
      result.status === 'sent'
        ? envelopeOf('email', 'email.delivered', { notification_id: row.notificationId, attempt: row.attempts, message_id: row.messageId }, row.correlationId)
        : result.status === 'failed'
          ? envelopeOf('email', 'email.failed', { notification_id: row.notificationId, attempt: row.attempts, error: result.error, message_id: row.messageId }, row.correlationId)
          : undefined;
    return finishAttemptAndPublish(run, row.notificationId, row.attempts, result, outcome && outboxValues(outcome));
  }

  async function recordPersistently(row: MessageRow, result: AttemptResult, leaseEndsAt: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await record(row, result);
      } catch (err) {
        const wait = Math.min(250 * 2 ** attempt, RECORD_RETRY_MAX_MS);
        if (Date.now() + wait > leaseEndsAt - LEASE_MARGIN_MS) throw err;
        if (attempt === 1) logger.warn({ err, notification_id: row.notificationId }, 'could not record an e-mail attempt; trying again while the lease lasts');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** One attempt in the trace of the request for the message, so the send and its outcome event join the checkout's trace. */
  function attempt(row: MessageRow): Promise<AttemptState> {
    return runInTrace(row.traceparent, () => attemptInTrace(row));
  }

  async function attemptInTrace(row: MessageRow): Promise<AttemptState> {
    // The lease began when the row was claimed, just before this.
    const leaseEndsAt = Date.now() + leaseMs;
    const result = await resultOf(row);
    const log = { notification_id: row.notificationId, message_id: row.messageId, to: row.recipient, attempt: row.attempts };
    if (!(await recordPersistently(row, result, leaseEndsAt))) {
      logger.warn(log, 'e-mail attempt outlived its lease; another worker owns the message now');
      return 'in-flight';
    }
    if (result.status === 'sent') logger.info({ ...log, response: result.smtpResponse }, `e-mail sent: ${row.subject}`);
    else if (result.status === 'failed') logger.warn({ ...log, error: result.error }, 'e-mail failed for good');
    else logger.warn({ ...log, error: result.error, next_attempt_at: result.nextAttemptAt }, 'e-mail attempt failed; will retry');
    return result.status;
  }

  return {
    async runDue() {
      const claimed = await messageLeases.claimDue(prisma, { limit: batchSize, leaseMs });
      await Promise.all(
        claimed.map((row) =>
          attempt(row).catch((err: unknown) => logger.error({ err, notification_id: row.notificationId }, 'e-mail attempt could not be recorded')),
        ),
      );
      return claimed.length;
    },
    async attemptNow(notificationId) {
      const row = await messageLeases.claim(prisma, notificationId, leaseMs);
      if (row) return attempt(row);
      const current = await findMessage(prisma, notificationId);
      if (!current) return 'unknown';
      return current.status === 'pending' ? 'in-flight' : (current.status as AttemptState);
    },
  };
}
