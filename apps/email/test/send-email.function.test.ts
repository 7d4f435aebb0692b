import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { emailPayload, emailRequested, FROM, messageRow, startSmtpServer, type TestSmtpServer } from './email-test-kit';

let db: TestDatabase;
let smtp: TestSmtpServer;
let server: Server;
let base: string;
let closeSendEmail: () => Promise<void>;
const greylisted = new Set<string>();

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 2 });
  smtp = await startSmtpServer({
    onRcpt(address) {
      if (address.startsWith('bounce')) return { code: 550, message: '5.1.1 no such mailbox' };
      if (greylisted.delete(address)) return { code: 451, message: '4.7.1 greylisted' };
      return undefined;
    },
  });
  // The function reads its configuration from the environment on its first event, as it does in the cloud.
  Object.assign(process.env, { DATABASE_URL: db.url, SMTP_URL: smtp.url, SMTP_ALLOW_PLAINTEXT: 'true', SMTP_FROM: FROM, EVENT_TRANSPORT: 'memory', LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  ({ closeSendEmail } = await import('../src/function'));
  server = getTestServer('sendEmail');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await closeSendEmail();
  await smtp.close();
});

beforeEach(() => {
  smtp.raw.length = 0;
});

/** POSTs a Pub/Sub CloudEvent (binary content mode), as Eventarc delivers one to the function. */
function postCloudEvent(data: unknown): Promise<Response> {
  return fetch(base, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': '//pubsub.googleapis.com/projects/shop/topics/email.requested',
      'ce-id': randomUUID(),
    },
    body: JSON.stringify(data),
  });
}

function pubsubData(message: ReturnType<typeof emailRequested>) {
  return {
    message: { data: Buffer.from(message.data as string).toString('base64'), attributes: message.attributes, messageId: '1234', publishTime: new Date().toISOString() },
    subscription: 'projects/shop/subscriptions/eventarc-email-requested',
  };
}

async function outboxOf(notificationId: string) {
  const { rows } = await db.pool.query<{ topic: string; payload: Record<string, unknown>; published_at: Date | null }>(
    `SELECT topic, payload, published_at FROM email.outbox WHERE payload->>'notification_id' = $1 ORDER BY id`,
    [notificationId],
  );
  return rows;
}

describe('the sendEmail CloudEvent function', () => {
  it('sends the e-mail of a Pub/Sub email.requested and publishes email.delivered', async () => {
    const payload = emailPayload({ subject: 'From a function' });
    const res = await postCloudEvent(pubsubData(emailRequested(payload)));
    expect(res.status).toBe(204);

    const [mail, ...others] = await smtp.parsed();
    expect(others).toEqual([]);
    expect(mail).toMatchObject({ subject: 'From a function', messageId: `<${payload.notification_id}@shop.test>`, html: payload.html });
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'sent', attempts: 1 });
    await vi.waitFor(async () =>
      expect(await outboxOf(payload.notification_id)).toEqual([
        { topic: 'email.delivered', payload: expect.objectContaining({ attempt: 1 }), published_at: expect.any(Date) },
      ]),
    );
  });

  it('acknowledges a redelivered event without sending again', async () => {
    const message = emailRequested(emailPayload());
    expect((await postCloudEvent(pubsubData(message))).status).toBe(204);
    expect((await postCloudEvent(pubsubData(message))).status).toBe(204);
    expect(smtp.raw).toHaveLength(1);
  });

  it('fails while SMTP refuses for now, so Pub/Sub delivers again, and acknowledges once the e-mail went out', async () => {
    const payload = emailPayload({ to: 'greylisted@example.com' });
    greylisted.add(payload.to);
    const message = emailRequested(payload);
    expect((await postCloudEvent(pubsubData(message))).status).toBe(500);
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await postCloudEvent(pubsubData(message))).status).toBe(204);
    expect(smtp.raw).toHaveLength(1);
    expect(await messageRow(db, payload.notification_id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('acknowledges a permanent rejection once email.failed is recorded', async () => {
    const payload = emailPayload({ to: 'bounce@example.com' });
    expect((await postCloudEvent(pubsubData(emailRequested(payload)))).status).toBe(204);
    expect(smtp.raw).toHaveLength(0);
    expect((await outboxOf(payload.notification_id)).map((e) => e.topic)).toEqual(['email.failed']);
  });

  it('acknowledges and dead-letters what is not a Pub/Sub message or not a valid email.requested', async () => {
    expect((await postCloudEvent({ hello: 'world' })).status).toBe(204);
    const invalid = emailRequested(emailPayload());
    const bad = { ...invalid, data: JSON.stringify({ ...JSON.parse(invalid.data as string), to: 'nope' }) };
    expect((await postCloudEvent(pubsubData(bad))).status).toBe(204);
    const { rows } = await db.pool.query<{ reason: string }>('SELECT reason FROM email.dead_letters ORDER BY id');
    expect(rows.map((r) => r.reason)).toEqual(['undecodable', 'invalid_payload']);
    expect(smtp.raw).toHaveLength(0);
  });
});
