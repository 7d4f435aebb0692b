import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort, useTestDatabase, type TestDatabase } from '@shop/testing';
import type { MailSender } from '../src/smtp/smtp-sender';
import {
  emailConsumer,
  emailPayload,
  emailRequested,
  FROM,
  makeDue,
  messageRow,
  outbox,
  SPEC,
  startSmtpServer,
  testMailer,
  type TestSmtpServer,
} from './email-test-kit';

let db: TestDatabase;
const servers: TestSmtpServer[] = [];
const senders: MailSender[] = [];

beforeAll(async () => {
  db = await useTestDatabase();
});

// Every test starts with an empty log: a mailer sends whatever is due, including earlier tests' leftovers.
beforeEach(async () => {
  await db.pool.query('DELETE FROM email.messages');
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const s of senders.splice(0)) s.close();
});

async function smtp(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  servers.push(server);
  return server;
}

function mailerFor(options: Parameters<typeof testMailer>[1]) {
  const built = testMailer(db, options);
  senders.push(built.sender);
  return built.mailer;
}

async function request(payload = emailPayload(), correlationId?: string) {
  const [outcome] = await emailConsumer(db).deliver(SPEC.name, [emailRequested(payload, correlationId)]);
  expect(outcome).toEqual({ status: 'ack' });
  return payload;
}

async function eventsFor(notificationId: string) {
  return (await outbox(db)).filter((e) => e.payload['notification_id'] === notificationId);
}

describe('the mailer against a real SMTP server', () => {
  it('sends the requested e-mail with its headers, text and HTML intact, and publishes email.delivered', async () => {
    const server = await smtp();
    const payload = await request(
      emailPayload({
        to: 'zoe.mueller@example.com',
        subject: 'Bestellung bestätigt ✅ — order #42',
        text: 'Grüße!\nLine two, with a long line: ' + 'x'.repeat(120),
        html: '<h1>Grüße ✅</h1><p>Total: <b>12,00 €</b></p>',
      }),
      'order-42',
    );
    expect(await mailerFor({ smtpUrl: server.url }).runDue()).toBe(1);

    const [mail, ...others] = await server.parsed();
    expect(others).toEqual([]);
    expect(mail!.from?.text).toBe('"Shop Test" <orders@shop.test>');
    expect(mail!.to).toMatchObject({ value: [{ address: 'zoe.mueller@example.com' }] });
    expect(mail!.subject).toBe(payload.subject);
    expect(mail!.messageId).toBe(`<${payload.notification_id}@shop.test>`);
    expect(mail!.text?.trimEnd()).toBe(payload.text);
    expect(mail!.html).toBe(payload.html);
    expect(mail!.headers.get('x-notification-id')).toBe(payload.notification_id);
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');

    expect(await messageRow(db, payload.notification_id)).toMatchObject({
      status: 'sent',
      attempts: 1,
      sender: FROM,
      message_id: `<${payload.notification_id}@shop.test>`,
      smtp_response: expect.stringMatching(/^250 .*queued as T1/),
      locked_until: null,
      sent_at: expect.any(Date),
    });
    expect(await eventsFor(payload.notification_id)).toEqual([
      expect.objectContaining({
        topic: 'email.delivered',
        payload: { notification_id: payload.notification_id, attempt: 1, message_id: `<${payload.notification_id}@shop.test>` },
        attributes: expect.objectContaining({ producer: 'email', correlation_id: 'order-42' }),
      }),
    ]);
  });

  it('sends a text-only e-mail when the request has no HTML', async () => {
    const server = await smtp();
    await request(emailPayload({ html: '', text: 'Plain only.' }));
    await mailerFor({ smtpUrl: server.url }).runDue();
    const [mail] = await server.parsed();
    expect(mail!.text?.trim()).toBe('Plain only.');
    expect(mail!.html).toBe(false);
  });

  it('retries while SMTP is down (connection refused) and delivers exactly once when it is back', async () => {
    const port = await freePort();
    const mailer = mailerFor({ smtpUrl: `smtp://127.0.0.1:${port}` });
    const payload = await request();

    expect(await mailer.runDue()).toBe(1);
    const afterFailure = await messageRow(db, payload.notification_id);
    expect(afterFailure).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/ECONNREFUSED/) });
    expect((afterFailure!['next_attempt_at'] as Date).getTime()).toBeGreaterThan(Date.now() - 1_000);
    expect(await eventsFor(payload.notification_id)).toEqual([]);

    const server = await smtp({ port });
    await makeDue(db);
    expect(await mailer.runDue()).toBe(1);
    await makeDue(db);
    expect(await mailer.runDue()).toBe(0);

    expect(server.raw).toHaveLength(1);
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect((await eventsFor(payload.notification_id)).map((e) => [e.topic, e.payload['attempt']])).toEqual([['email.delivered', 2]]);
  });

  it('waits for the backoff before the next attempt', async () => {
    const port = await freePort();
    const mailer = mailerFor({ smtpUrl: `smtp://127.0.0.1:${port}`, policy: { maxAttempts: 3, minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const payload = await request();
    await mailer.runDue();
    await smtp({ port });
    expect(await mailer.runDue()).toBe(0);
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('retries a temporary 4xx rejection and delivers on a later attempt', async () => {
    let replies = 0;
    const server = await smtp({ onRcpt: () => (replies++ === 0 ? { code: 451, message: '4.7.1 greylisted, try again later' } : undefined) });
    const mailer = mailerFor({ smtpUrl: server.url });
    const payload = await request();

    await mailer.runDue();
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/451.*greylisted/) });
    await makeDue(db);
    await mailer.runDue();

    expect(server.raw).toHaveLength(1);
    expect((await eventsFor(payload.notification_id)).map((e) => [e.topic, e.payload['attempt']])).toEqual([['email.delivered', 2]]);
  });

  it('fails at once on a permanent 5xx rejection, publishing email.failed with the error and the message id', async () => {
    const server = await smtp({ onRcpt: (address) => (address.startsWith('nobody') ? { code: 550, message: '5.1.1 mailbox unavailable' } : undefined) });
    const mailer = mailerFor({ smtpUrl: server.url });
    const payload = await request(emailPayload({ to: 'nobody@example.com' }));

    expect(await mailer.runDue()).toBe(1);
    await makeDue(db);
    expect(await mailer.runDue()).toBe(0);

    expect(server.raw).toHaveLength(0);
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'failed', attempts: 1, failed_at: expect.any(Date), sent_at: null });
    const events = await eventsFor(payload.notification_id);
    expect(events).toEqual([
      expect.objectContaining({
        topic: 'email.failed',
        payload: {
          notification_id: payload.notification_id,
          attempt: 1,
          error: expect.stringMatching(/550.*mailbox unavailable/),
          message_id: `<${payload.notification_id}@shop.test>`,
        },
      }),
    ]);
  });

  it('publishes email.failed after the last attempt when SMTP never comes back', async () => {
    const mailer = mailerFor({ smtpUrl: `smtp://127.0.0.1:${await freePort()}` });
    const payload = await request();
    for (let i = 0; i < 5; i++) {
      await mailer.runDue();
      await makeDue(db);
    }
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(await eventsFor(payload.notification_id)).toEqual([
      expect.objectContaining({
        topic: 'email.failed',
        payload: {
          notification_id: payload.notification_id,
          attempt: 3,
          error: expect.stringMatching(/ECONNREFUSED.*gave up after 3 attempts/),
          message_id: `<${payload.notification_id}@shop.test>`,
        },
      }),
    ]);
  });

  it('sends one e-mail when email.requested is delivered twice, even at the same moment', async () => {
    const server = await smtp();
    const payload = emailPayload();
    const message = emailRequested(payload);
    const consumer = emailConsumer(db);
    const outcomes = await Promise.all([consumer.deliver(SPEC.name, [message]), consumer.deliver(SPEC.name, [message])]);
    expect(outcomes.flat().map((o) => o.status)).toEqual(['ack', 'ack']);
    await consumer.deliver(SPEC.name, [message]);

    await mailerFor({ smtpUrl: server.url }).runDue();
    expect(server.raw).toHaveLength(1);
    expect(await eventsFor(payload.notification_id)).toHaveLength(1);
  });

  it('sends one e-mail for a second email.requested of the same notification (another event id)', async () => {
    const server = await smtp();
    const payload = await request();
    const mailer = mailerFor({ smtpUrl: server.url });
    await mailer.runDue();
    await request(payload);
    await makeDue(db);
    await mailer.runDue();
    expect(server.raw).toHaveLength(1);
    expect(await eventsFor(payload.notification_id)).toHaveLength(1);
  });

  it('sends each message once when two workers run at the same time', async () => {
    const server = await smtp();
    const payloads = [];
    for (let i = 0; i < 6; i++) payloads.push(await request());
    const [a, b] = [mailerFor({ smtpUrl: server.url }), mailerFor({ smtpUrl: server.url })];
    const taken = await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
    expect(taken.reduce((x, y) => x + y, 0)).toBe(6);
    const ids = (await server.parsed()).map((m) => m.messageId);
    expect(ids.sort()).toEqual(payloads.map((p) => `<${p.notification_id}@shop.test>`).sort());
  });

  it('leaves a message another worker is attempting alone, and retries it with the same Message-ID once that worker died', async () => {
    const server = await smtp();
    const payload = await request();
    // A worker claimed it and crashed before recording anything: its lease is still running.
    await db.pool.query(`UPDATE email.messages SET attempts = 1, locked_until = now() + interval '1 hour' WHERE notification_id = $1`, [payload.notification_id]);
    const mailer = mailerFor({ smtpUrl: server.url });
    expect(await mailer.runDue()).toBe(0);
    expect(await mailer.attemptNow(payload.notification_id)).toBe('in-flight');
    expect(server.raw).toHaveLength(0);

    await db.pool.query(`UPDATE email.messages SET locked_until = now() - interval '1 second' WHERE notification_id = $1`, [payload.notification_id]);
    expect(await mailer.runDue()).toBe(1);
    const [mail] = await server.parsed();
    expect(mail!.messageId).toBe(`<${payload.notification_id}@shop.test>`);
    expect((await eventsFor(payload.notification_id)).map((e) => e.payload['attempt'])).toEqual([2]);
  });

  it('records nothing and publishes nothing for an attempt whose lease another worker took over', async () => {
    const payload = await request();
    /** A sender that holds each message until the test lets it through. */
    const held = () => {
      let release: () => void = () => undefined;
      const sender: MailSender = {
        send: () => new Promise((resolve) => (release = () => resolve({ response: '250 ok' }))),
        close: () => undefined,
      };
      return { sender, release: () => release() };
    };
    const stale = held();
    const current = held();
    const staleRun = mailerFor({ sender: stale.sender }).runDue();
    await vi.waitFor(async () => expect(await messageRow(db, payload.notification_id)).toMatchObject({ attempts: 1 }));
    // The first worker's lease ran out (it looked dead); a second worker claimed the message.
    await db.pool.query(`UPDATE email.messages SET locked_until = now() - interval '1 second' WHERE notification_id = $1`, [payload.notification_id]);
    const currentRun = mailerFor({ sender: current.sender }).runDue();
    await vi.waitFor(async () => expect(await messageRow(db, payload.notification_id)).toMatchObject({ attempts: 2 }));

    stale.release();
    await staleRun;
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'pending', attempts: 2 });
    expect(await eventsFor(payload.notification_id)).toEqual([]);

    current.release();
    await currentRun;
    expect((await eventsFor(payload.notification_id)).map((e) => [e.topic, e.payload['attempt']])).toEqual([['email.delivered', 2]]);
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('answers attemptNow with the state of a finished or unknown message without sending', async () => {
    const server = await smtp();
    const payload = await request();
    const mailer = mailerFor({ smtpUrl: server.url });
    expect(await mailer.attemptNow(payload.notification_id)).toBe('sent');
    expect(await mailer.attemptNow(payload.notification_id)).toBe('sent');
    expect(await mailer.attemptNow('6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a')).toBe('unknown');
    expect(server.raw).toHaveLength(1);
  });
});
