import pg from 'pg';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { MESSAGES_CHANNEL } from '../src/db/messages.queries';
import { emailConsumer, emailPayload, emailRequested, FROM, messageRow, SPEC } from './email-test-kit';

let db: TestDatabase;

beforeAll(async () => {
  db = await useTestDatabase();
});

async function count(sql: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`);
  return rows[0]!.n;
}

describe('email.requested handler', () => {
  it('records the message as pending with its sender and Message-ID, and wakes the mailer at commit', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const wakes: string[] = [];
    listener.on('notification', (n) => wakes.push(n.channel));
    await listener.query(`LISTEN ${MESSAGES_CHANNEL}`);
    try {
      const payload = emailPayload();
      const message = emailRequested(payload, 'cart-7');
      expect(await emailConsumer(db).deliver(SPEC.name, [message])).toEqual([{ status: 'ack' }]);
      expect(await messageRow(db, payload.notification_id)).toMatchObject({
        customer_id: payload.customer_id,
        event_id: message.attributes['event_id'],
        correlation_id: 'cart-7',
        sender: FROM,
        recipient: payload.to,
        subject: payload.subject,
        text: payload.text,
        html: payload.html,
        message_id: `<${payload.notification_id}@shop.test>`,
        status: 'pending',
        attempts: 0,
      });
      await vi.waitFor(() => expect(wakes).toContain(MESSAGES_CHANNEL));
    } finally {
      await listener.end();
    }
  });

  it('changes nothing on a duplicate delivery', async () => {
    const message = emailRequested(emailPayload());
    const consumer = emailConsumer(db);
    await consumer.deliver(SPEC.name, [message]);
    const before = await count('email.messages');
    expect(await consumer.deliver(SPEC.name, [message])).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await count('email.messages')).toBe(before);
  });

  it('dead-letters an invalid payload at once and records nothing', async () => {
    const valid = emailRequested(emailPayload());
    const invalid = { ...valid, data: JSON.stringify({ ...JSON.parse(valid.data as string), to: 'not-an-address' }) };
    const before = await count('email.messages');
    expect(await emailConsumer(db).deliver(SPEC.name, [invalid])).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await count('email.messages')).toBe(before);
    const { rows } = await db.pool.query('SELECT reason, last_error FROM email.dead_letters WHERE event_id = $1', [valid.attributes['event_id']]);
    expect(rows).toEqual([{ reason: 'invalid_payload', last_error: expect.stringMatching(/to/) }]);
  });
});
