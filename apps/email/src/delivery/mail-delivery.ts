import { statementRunner, type Database } from '@shop/db';
import { startDueWorkLoop, type PublishFn } from '@shop/events';
import type { Logger } from '@shop/observability';
import type { MailSettings } from '../config';
import { MESSAGES_CHANNEL, messageLeases } from '../db/messages.queries';
import { startMailCatcher, type Mailbox } from '../smtp/mail-catcher';
import { createSmtpSender, type MailSender } from '../smtp/smtp-sender';
import { createMailer, type Mailer } from './mailer';

/**
 * How long an attempt owns its message: longer than the slowest SMTP conversation the timeouts allow
 * (connect, greeting, and idle gaps while the message is written), so a live worker never loses it.
 */
export function leaseMsFor(settings: Pick<MailSettings, 'SMTP_TIMEOUT_MS'>): number {
  return settings.SMTP_TIMEOUT_MS * 4 + 10_000;
}

/** The mailer over a sender, with the configured retry policy. */
export function mailerFor(settings: MailSettings, deps: { db: Database; sender: MailSender; logger: Logger }): Mailer {
  return createMailer({
    prisma: deps.db.prisma,
    run: statementRunner(deps.db.prisma, deps.db.pool),
    sender: deps.sender,
    logger: deps.logger,
    leaseMs: leaseMsFor(settings),
    policy: { maxAttempts: settings.EMAIL_MAX_ATTEMPTS, minDelayMs: settings.EMAIL_RETRY_MIN_MS, maxDelayMs: settings.EMAIL_RETRY_MAX_MS },
  });
}

/**
 * The service's background delivery: the embedded mail catcher when SMTP_URL is unset, the SMTP sender, and
 * the loop that sends what the sent-mail log holds pending. Returns what stops it all.
 */
export async function startMailDelivery(
  settings: MailSettings,
  deps: { db: Database; databaseUrl: string; publish: PublishFn; logger: Logger; mailbox?: Mailbox | undefined },
): Promise<() => Promise<void>> {
  const { logger } = deps;
  let smtpUrl = settings.SMTP_URL;
  let closeCatcher: () => Promise<void> = async () => undefined;
  if (!smtpUrl) {
    if (!deps.mailbox) throw new Error('SMTP_URL is not set and no mailbox was given for the embedded mail catcher');
    const catcher = await startMailCatcher({ mailbox: deps.mailbox, port: settings.SMTP_CATCHER_PORT, logger });
    smtpUrl = catcher.url;
    closeCatcher = catcher.close;
    logger.info(`SMTP_URL is not set: e-mail goes to the embedded mail catcher at ${catcher.url}; read it with GET /messages (support token)`);
  }
  // The catcher listens on loopback and offers no STARTTLS (it has no certificate the mailer would trust).
  const sender = createSmtpSender(smtpUrl, { timeoutMs: settings.SMTP_TIMEOUT_MS, allowPlaintext: settings.SMTP_ALLOW_PLAINTEXT || !settings.SMTP_URL });
  const mailer = mailerFor(settings, { ...deps, sender });
  const loop = startDueWorkLoop({
    name: 'mailer',
    databaseUrl: deps.databaseUrl,
    channel: MESSAGES_CHANNEL,
    runDue: () => mailer.runDue(),
    nextDueInMs: () => messageLeases.nextDueInMs(deps.db.prisma),
    logger,
  });
  return async function stopMailDelivery() {
    await loop.stop();
    sender.close();
    await closeCatcher();
  };
}
