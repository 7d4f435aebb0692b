import type { Logger } from '@shop/observability';

/** One message the embedded catcher received, as it came over SMTP. */
export interface CaughtMail {
  messageId: string | null;
  notificationId: string | null;
  envelopeFrom: string | null;
  envelopeTo: string[];
  raw: Buffer;
  receivedAt: Date;
}

/** The caught messages, newest last, bounded so that a long-running catcher does not grow without end. */
export interface Mailbox {
  add(mail: CaughtMail): void;
  find(messageId: string): CaughtMail | undefined;
  list(): readonly CaughtMail[];
}

export function createMailbox(capacity = 500): Mailbox {
  const mails: CaughtMail[] = [];
  return {
    add(mail) {
      mails.push(mail);
      if (mails.length > capacity) mails.splice(0, mails.length - capacity);
    },
    find: (messageId) => mails.findLast((m) => m.messageId === messageId),
    list: () => mails,
  };
}

export interface MailCatcher {
  /** `smtp://127.0.0.1:<port>`: where the mailer sends. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A header of the message's header section (unfolded), or null. */
function headerOf(raw: Buffer, name: string): string | null {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('utf8').replace(/\r\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return match?.[1]?.trim() ?? null;
}

/**
 * The development mail catcher: a real SMTP server (the `smtp-server` package) on a local port, so the mailer
 * takes exactly the path it takes in production, and every message ends up in `mailbox` instead of anyone's
 * inbox. Loaded on demand: `smtp-server` is a development dependency, absent from production images, where
 * SMTP_URL is required instead.
 */
export async function startMailCatcher(options: { mailbox: Mailbox; port: number; host?: string; logger: Logger }): Promise<MailCatcher> {
  const { mailbox, logger } = options;
  const host = options.host ?? '127.0.0.1';
  let SMTPServer: typeof import('smtp-server').SMTPServer;
  try {
    ({ SMTPServer } = await import('smtp-server'));
  } catch (err) {
    throw new Error('SMTP_URL is not set, and the embedded mail catcher needs the smtp-server development dependency (npm ci)', { cause: err });
  }
  const server = new SMTPServer({
    name: 'shop-mail-catcher',
    banner: 'shop mail catcher: nothing leaves this machine',
    authOptional: true,
    // No TLS: the catcher listens on loopback only, and a self-signed certificate would fail the mailer's checks.
    disabledCommands: ['STARTTLS'],
    size: 25 * 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const mail: CaughtMail = {
          messageId: headerOf(raw, 'Message-ID'),
          notificationId: headerOf(raw, 'X-Notification-Id'),
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          raw,
          receivedAt: new Date(),
        };
        mailbox.add(mail);
        logger.info(
          { message_id: mail.messageId, to: mail.envelopeTo, notification_id: mail.notificationId, bytes: raw.length },
          `mail catcher: caught a message for ${mail.envelopeTo.join(', ')}` +
            (mail.notificationId ? ` (GET /messages/${mail.notificationId}, raw: /messages/${mail.notificationId}/raw)` : ''),
        );
        callback(null, `caught as ${mail.messageId ?? 'a message without Message-ID'}`);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, host, () => {
      server.server.off('error', reject);
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
  server.on('error', (err) => logger.warn({ err }, 'mail catcher error'));
  return {
    url: `smtp://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
