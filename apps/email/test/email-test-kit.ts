import { randomUUID } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { buildEnvelope, subscriptionsOf, type PayloadOf } from '@shop/contracts';
import { statementRunner, type Database } from '@shop/db';
import { createConsumer, createPublisher, type Consumer, type IncomingMessage } from '@shop/events';
import { testLogger } from '@shop/testing';
import { createMailer, type Mailer } from '../src/delivery/mailer';
import { emailRequestedHandler } from '../src/events/email-requested.handler';
import { createSmtpSender, type MailSender } from '../src/smtp/smtp-sender';

export const FROM = 'Shop Test <orders@shop.test>';
export const SPEC = subscriptionsOf('email').find((s) => s.topic === 'email.requested')!;

/** What a test SMTP server does with one recipient: accept, or reply with a code (4xx temporary, 5xx permanent). */
export type RcptVerdict = { code: number; message: string } | undefined;

/** A real SMTP server (smtp-server) for tests; what it accepted is read back with mailparser. */
export interface TestSmtpServer {
  port: number;
  url: string;
  /** Raw messages accepted, in order. */
  raw: Buffer[];
  parsed(): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpServer(
  options: { port?: number; onRcpt?: (address: string) => RcptVerdict; tls?: 'none' | 'starttls' | 'implicit' } = {},
): Promise<TestSmtpServer> {
  const raw: Buffer[] = [];
  const tls = options.tls ?? 'none';
  // With TLS, smtp-server's own self-signed certificate (clients pass tls.rejectUnauthorized=false in the URL).
  const server = new SMTPServer({
    authOptional: true,
    ...(tls === 'none' ? { disabledCommands: ['STARTTLS'] } : {}),
    secure: tls === 'implicit',
    logger: false,
    onRcptTo(address, _session, callback) {
      const verdict = options.onRcpt?.(address.address);
      if (!verdict) return callback();
      callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }));
    },
    onData(stream, session, callback) {
      // A message that should have been encrypted and was not is refused, so a test sees the difference.
      if (tls !== 'none' && !session.secure) return callback(new Error('sent in the clear'));
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        raw.push(Buffer.concat(chunks));
        callback(null, `queued as T${raw.length}`);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    port,
    url: tls === 'implicit' ? `smtps://127.0.0.1:${port}?tls.rejectUnauthorized=false` : `smtp://127.0.0.1:${port}${tls === 'starttls' ? '?tls.rejectUnauthorized=false' : ''}`,
    raw,
    parsed: () => Promise.all(raw.map((r) => simpleParser(r))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An `email.requested` payload with a fresh notification id. */
export function emailPayload(overrides: Partial<PayloadOf<'email.requested'>> = {}): PayloadOf<'email.requested'> {
  return {
    notification_id: randomUUID(),
    customer_id: randomUUID(),
    to: 'jane.doe@example.com',
    subject: 'Your order is confirmed',
    text: 'Thank you for your order.',
    html: '<p>Thank you for your <b>order</b>.</p>',
    ...overrides,
  };
}

/** The wire message notification would publish for `payload`. */
export function emailRequested(payload: PayloadOf<'email.requested'>, correlationId: string = randomUUID()): IncomingMessage {
  const envelope = buildEnvelope('email.requested', payload, { producer: 'notification', correlationId });
  return { attributes: { ...envelope.attributes }, data: JSON.stringify(envelope.payload), deliveryAttempt: 1 };
}

/** The email service's consumer with its real handler, on a test database. */
export function emailConsumer(db: Database): Consumer {
  const consumer = createConsumer({ db, schema: 'email', publish: createPublisher({ schema: 'email', producer: 'email' }), logger: testLogger('email') });
  consumer.register(SPEC, emailRequestedHandler({ from: FROM }));
  return consumer;
}

export const FAST_RETRIES = { maxAttempts: 3, minDelayMs: 1, maxDelayMs: 2 };

/**
 * A mailer over `smtpUrl` with quick retries; `sender` overrides the SMTP sender. The test servers offer no
 * STARTTLS unless asked to, so plaintext is allowed unless `requireTls`.
 */
export function testMailer(
  db: Database,
  options: { smtpUrl?: string; sender?: MailSender; policy?: typeof FAST_RETRIES; leaseMs?: number; requireTls?: boolean } = {},
): { mailer: Mailer; sender: MailSender } {
  const sender = options.sender ?? createSmtpSender(options.smtpUrl ?? 'smtp://127.0.0.1:1', { timeoutMs: 2_000, allowPlaintext: !options.requireTls });
  const mailer = createMailer({
    prisma: db.prisma,
    run: statementRunner(db.prisma, db.pool),
    sender,
    policy: options.policy ?? FAST_RETRIES,
    logger: testLogger('email'),
    leaseMs: options.leaseMs ?? 60_000,
  });
  return { mailer, sender };
}

/** Makes every pending message due now, instead of waiting for its backoff. */
export async function makeDue(db: Database): Promise<void> {
  await db.pool.query(`UPDATE email.messages SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'`);
}

export interface OutboxEvent {
  topic: string;
  payload: Record<string, unknown>;
  attributes: Record<string, string>;
}

/** What the email service published, oldest first; `topicPrefix` narrows it. */
export async function outbox(db: Database): Promise<OutboxEvent[]> {
  const { rows } = await db.pool.query<OutboxEvent>('SELECT topic, payload, attributes FROM email.outbox ORDER BY id');
  return rows;
}

export async function messageRow(db: Database, notificationId: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.pool.query('SELECT * FROM email.messages WHERE notification_id = $1', [notificationId]);
  return rows[0];
}
