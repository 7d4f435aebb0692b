import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { testAppContext } from '@shop/service/test';
import { createApp } from '../src/app';
import { createMailbox, type Mailbox } from '../src/smtp/mail-catcher';
import { emailConsumer, emailPayload, emailRequested, SPEC } from './email-test-kit';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];
let mailbox: Mailbox;
const JOHN = '550e8400-e29b-41d4-a716-446655440000';

beforeAll(async () => {
  db = await useTestDatabase();
  mailbox = createMailbox();
  app = createApp(testAppContext('email', db), { mailbox }).app;
});

async function requested(overrides: Parameters<typeof emailPayload>[0] = {}) {
  const payload = emailPayload(overrides);
  await emailConsumer(db).deliver(SPEC.name, [emailRequested(payload)]);
  return payload;
}

async function problem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return body;
}

type Page = { items: { notification_id: string; status: string; customer_id: string }[]; next_cursor: string | null };

describe('GET /messages', () => {
  it('answers support and admin with the sent-mail log, newest first', async () => {
    const first = await requested();
    const second = await requested();
    for (const headers of [supportHeaders, adminHeaders]) {
      const res = await app.request('/messages', { headers });
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      const ids = page.items.map((m) => m.notification_id);
      expect(ids.indexOf(second.notification_id)).toBeLessThan(ids.indexOf(first.notification_id));
      expect(page.items.find((m) => m.notification_id === first.notification_id)).toEqual({
        notification_id: first.notification_id,
        customer_id: first.customer_id,
        correlation_id: expect.any(String),
        from: 'Shop Test <orders@shop.test>',
        to: first.to,
        subject: first.subject,
        text: first.text,
        html: first.html,
        message_id: `<${first.notification_id}@shop.test>`,
        status: 'pending',
        attempts: 0,
        last_error: null,
        smtp_response: null,
        next_attempt_at: expect.any(String),
        created_at: expect.any(String),
        sent_at: null,
        failed_at: null,
      });
    }
  });

  it('filters by customer and status, and pages without gaps or repeats', async () => {
    const customer = randomUUID();
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push((await requested({ customer_id: customer })).notification_id);
    await db.pool.query(`UPDATE email.messages SET status = 'sent', sent_at = now() WHERE notification_id = $1`, [mine[0]]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.request(`/messages?customer_id=${customer.toUpperCase()}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: supportHeaders });
      const page = (await res.json()) as Page;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((m) => m.notification_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...mine].reverse());

    const sent = (await (await app.request(`/messages?customer_id=${customer}&status=sent`, { headers: supportHeaders })).json()) as Page;
    expect(sent.items.map((m) => m.notification_id)).toEqual([mine[0]]);
  });

  it('answers 401 to a customer and to nobody, and to an unknown token', async () => {
    await problem(await app.request('/messages', { headers: { 'X-Customer-Id': JOHN } }), 401);
    await problem(await app.request('/messages'), 401);
    await problem(await app.request('/messages', { headers: { Authorization: 'Bearer guessed-token-123456' } }), 401);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['status=lost', 'status'],
    ['customer_id=john', 'customer_id'],
    ['cursor=garbage', 'cursor'],
  ])('answers 422 for %s', async (query, field) => {
    const body = await problem(await app.request(`/messages?${query}`, { headers: supportHeaders }), 422);
    expect(body['errors']).toEqual([expect.objectContaining({ field })]);
  });
});

describe('GET /messages/:id', () => {
  it("answers one e-mail by its notification's id", async () => {
    const payload = await requested();
    const res = await app.request(`/messages/${payload.notification_id.toUpperCase()}`, { headers: supportHeaders });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ notification_id: payload.notification_id, subject: payload.subject, status: 'pending' });
  });

  it('answers 404 for an unknown or malformed id, 401 without a token', async () => {
    await problem(await app.request(`/messages/${randomUUID()}`, { headers: supportHeaders }), 404);
    await problem(await app.request('/messages/not-a-uuid', { headers: supportHeaders }), 404);
    await problem(await app.request(`/messages/${randomUUID()}`), 401);
  });

  it('answers 405 to a write', async () => {
    const res = await app.request(`/messages/${randomUUID()}`, { method: 'DELETE', headers: adminHeaders });
    expect(res.status).toBe(405);
  });
});

describe('GET /messages/:id/raw', () => {
  it('answers the message the catcher received, as message/rfc822', async () => {
    const payload = await requested();
    const raw = Buffer.from(
      `Message-ID: <${payload.notification_id}@shop.test>\r\nX-Notification-Id: ${payload.notification_id}\r\nSubject: Caught\r\n\r\nHello\r\n`,
    );
    mailbox.add({ messageId: `<${payload.notification_id}@shop.test>`, notificationId: payload.notification_id, envelopeFrom: null, envelopeTo: [payload.to], raw, receivedAt: new Date() });
    const res = await app.request(`/messages/${payload.notification_id}/raw`, { headers: supportHeaders });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('message/rfc822');
    expect((await simpleParser(Buffer.from(await res.arrayBuffer()))).subject).toBe('Caught');
  });

  it('answers 404 for a message the catcher did not receive', async () => {
    const payload = await requested();
    await problem(await app.request(`/messages/${payload.notification_id}/raw`, { headers: supportHeaders }), 404);
  });

  it('answers 404 when there is no catcher (SMTP_URL set)', async () => {
    const plain = createApp(testAppContext('email', db)).app;
    const payload = await requested();
    await problem(await plain.request(`/messages/${payload.notification_id}/raw`, { headers: supportHeaders }), 404);
  });
});
