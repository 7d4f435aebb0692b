import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@shop/config';
import { createPublisher } from '@shop/events';
import { testAppContext } from '@shop/service/test';
import { freePort, supportHeaders, testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { emailConfigSchema } from '../src/config';
import { startMailDelivery } from '../src/delivery/mail-delivery';
import { createMailbox } from '../src/smtp/mail-catcher';
import { emailConsumer, emailPayload, emailRequested, FROM, messageRow, outbox, SPEC, startSmtpServer } from './email-test-kit';

let db: TestDatabase;

beforeAll(async () => {
  db = await useTestDatabase();
});

function settings(env: Record<string, string> = {}) {
  return loadConfig(emailConfigSchema, { DATABASE_URL: db.url, SMTP_FROM: FROM, EMAIL_RETRY_MIN_MS: '20', EMAIL_RETRY_MAX_MS: '40', ...env });
}

function start(env: Record<string, string> = {}, mailbox = createMailbox()) {
  return startMailDelivery(settings(env), {
    db,
    databaseUrl: db.url,
    publish: createPublisher({ schema: 'email', producer: 'email' }),
    logger: testLogger('email'),
    mailbox,
  });
}

describe('mail delivery as the service runs it', () => {
  it('without SMTP_URL, sends to the embedded catcher as soon as email.requested commits, readable at /messages', async () => {
    const mailbox = createMailbox();
    const stop = await start({}, mailbox);
    try {
      const payload = emailPayload({ subject: 'Caught locally', html: '<p>Caught <i>locally</i></p>' });
      await emailConsumer(db).deliver(SPEC.name, [emailRequested(payload)]);
      await vi.waitFor(async () => expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'sent' }), { timeout: 5_000 });

      const [caught] = mailbox.list();
      expect(caught).toMatchObject({ messageId: `<${payload.notification_id}@shop.test>`, notificationId: payload.notification_id, envelopeTo: [payload.to] });
      const parsed = await simpleParser(caught!.raw);
      expect(parsed).toMatchObject({ subject: 'Caught locally', html: payload.html });

      const app = createApp(testAppContext('email', db), { mailbox }).app;
      const res = await app.request(`/messages/${payload.notification_id}/raw`, { headers: supportHeaders });
      expect(res.status).toBe(200);
      expect((await simpleParser(Buffer.from(await res.arrayBuffer()))).messageId).toBe(`<${payload.notification_id}@shop.test>`);
      expect((await outbox(db)).filter((e) => e.payload['notification_id'] === payload.notification_id).map((e) => e.topic)).toEqual(['email.delivered']);
    } finally {
      await stop();
    }
  });

  it('sends a scheduled retry when it falls due, with no new notification to wake it', async () => {
    const port = await freePort();
    const stop = await start({ SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_ALLOW_PLAINTEXT: 'true', EMAIL_RETRY_MIN_MS: '200', EMAIL_RETRY_MAX_MS: '200' });
    try {
      const payload = emailPayload();
      await emailConsumer(db).deliver(SPEC.name, [emailRequested(payload)]);
      await vi.waitFor(
        async () => {
          const row = await messageRow(db, payload.notification_id);
          expect(row).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/ECONNREFUSED/) });
          expect(row!['attempts']).toBeGreaterThanOrEqual(1);
        },
        { timeout: 5_000 },
      );
      const server = await startSmtpServer({ port });
      try {
        await vi.waitFor(async () => expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'sent' }), { timeout: 5_000 });
        expect(server.raw).toHaveLength(1);
      } finally {
        await server.close();
      }
    } finally {
      await stop();
    }
  });
});

describe('emailConfigSchema', () => {
  it('defaults the sender and leaves SMTP_URL unset outside production', () => {
    const config = loadConfig(emailConfigSchema, { DATABASE_URL: 'postgresql://localhost/shop' });
    expect(config).toMatchObject({ PORT: 3004, SMTP_FROM: 'Shop <no-reply@example.com>', SMTP_CATCHER_PORT: 0, EMAIL_MAX_ATTEMPTS: 10 });
    expect(config.SMTP_URL).toBeUndefined();
  });

  it('requires SMTP_URL in production and refuses malformed mail settings', () => {
    const production = { DATABASE_URL: 'postgresql://localhost/shop', NODE_ENV: 'production', ADMIN_API_TOKEN: 'a'.repeat(20), SUPPORT_API_TOKEN: 'b'.repeat(20) };
    expect(() => loadConfig(emailConfigSchema, production)).toThrow(/SMTP_URL: is required with NODE_ENV=production/);
    expect(() => loadConfig(emailConfigSchema, { ...production, SMTP_URL: 'smtp://mail.example.com:587' })).not.toThrow();
    expect(() => loadConfig(emailConfigSchema, { DATABASE_URL: 'postgresql://x/y', SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig(emailConfigSchema, { DATABASE_URL: 'postgresql://x/y', SMTP_FROM: 'nobody' })).toThrow(/SMTP_FROM/);
    expect(() => loadConfig(emailConfigSchema, { DATABASE_URL: 'postgresql://x/y', EMAIL_RETRY_MIN_MS: '5000', EMAIL_RETRY_MAX_MS: '100' })).toThrow(/EMAIL_RETRY_MAX_MS/);
  });
});
