import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@shop/config';
import { createPublisher } from '@shop/events';
import { testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { emailConfigSchema } from '../src/config';
import { startMailDelivery } from '../src/delivery/mail-delivery';
import { createMailbox } from '../src/smtp/mail-catcher';
import type { MailSender } from '../src/smtp/smtp-sender';
import { emailConsumer, emailPayload, emailRequested, FROM, makeDue, messageRow, outbox, SPEC, startSmtpServer, testMailer, type TestSmtpServer } from './email-test-kit';

let db: TestDatabase;
const servers: TestSmtpServer[] = [];
const senders: MailSender[] = [];

beforeAll(async () => {
  db = await useTestDatabase();
});

// A mailer sends whatever is due, including earlier tests' leftovers.
beforeEach(async () => {
  await db.pool.query('DELETE FROM email.messages');
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const s of senders.splice(0)) s.close();
});

async function smtp(tls: 'none' | 'starttls' | 'implicit'): Promise<TestSmtpServer> {
  const server = await startSmtpServer({ tls });
  servers.push(server);
  return server;
}

async function request() {
  const payload = emailPayload();
  await emailConsumer(db).deliver(SPEC.name, [emailRequested(payload)]);
  return payload;
}

/** The service's own delivery loop, configured from `env` as main.ts configures it. */
function start(env: Record<string, string>) {
  const settings = loadConfig(emailConfigSchema, { DATABASE_URL: db.url, SMTP_FROM: FROM, EMAIL_RETRY_MIN_MS: '20', EMAIL_RETRY_MAX_MS: '40', ...env });
  return startMailDelivery(settings, { db, databaseUrl: db.url, publish: createPublisher({ schema: 'email', producer: 'email' }), logger: testLogger('email'), mailbox: createMailbox() });
}

async function sentWith(env: Record<string, string>, server: TestSmtpServer): Promise<void> {
  const stop = await start(env);
  try {
    const payload = await request();
    await vi.waitFor(async () => expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'sent' }), { timeout: 5_000 });
    expect(server.raw).toHaveLength(1);
  } finally {
    await stop();
  }
}

describe('SMTP over smtp:// requires STARTTLS', () => {
  it('sends nothing to a server that offers no STARTTLS: the message waits as a temporary failure', async () => {
    const server = await smtp('none');
    const stop = await start({ SMTP_URL: server.url, EMAIL_RETRY_MIN_MS: '60000', EMAIL_RETRY_MAX_MS: '60000' });
    try {
      const payload = await request();
      await vi.waitFor(
        async () => expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/STARTTLS/) }),
        { timeout: 5_000 },
      );
      expect(server.raw).toEqual([]);
      expect((await outbox(db)).filter((e) => e.payload['notification_id'] === payload.notification_id)).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('publishes email.failed once the attempts run out, and still nothing was delivered', async () => {
    const server = await smtp('none');
    const built = testMailer(db, { smtpUrl: server.url, requireTls: true, policy: { maxAttempts: 2, minDelayMs: 1, maxDelayMs: 2 } });
    senders.push(built.sender);
    const payload = await request();
    await built.mailer.runDue();
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'pending', attempts: 1 });
    await makeDue(db);
    await built.mailer.runDue();
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'failed', attempts: 2, last_error: expect.stringMatching(/STARTTLS.*gave up after 2 attempts/) });
    const events = (await outbox(db)).filter((e) => e.payload['notification_id'] === payload.notification_id);
    expect(events.map((e) => e.topic)).toEqual(['email.failed']);
    expect(server.raw).toEqual([]);
  });

  it('sends in the clear to such a server with SMTP_ALLOW_PLAINTEXT=true, the explicit opt-out', async () => {
    const server = await smtp('none');
    await sentWith({ SMTP_URL: server.url, SMTP_ALLOW_PLAINTEXT: 'true' }, server);
  });

  it('sends over STARTTLS to a server that offers it (the server takes only encrypted mail)', async () => {
    const server = await smtp('starttls');
    await sentWith({ SMTP_URL: server.url }, server);
  });

  it('leaves smtps:// (implicit TLS) as it was', async () => {
    const server = await smtp('implicit');
    await sentWith({ SMTP_URL: server.url }, server);
  });
});
