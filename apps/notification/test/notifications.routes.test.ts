import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, refuseIdempotentAnswers, supportHeaders, useTestDatabase } from '@shop/testing';
import { NO_PUSH_SUBSCRIPTION } from '../src/domain/delivery-status';
import type { NotificationResource } from '../src/domain/notification';
import {
  historyOf,
  JANE,
  JOHN,
  knowCustomer,
  message,
  NOBODY,
  notificationHarness,
  orderCreated,
  outbox,
  outboxSize,
  snapshot,
  stockRejected,
  type NotificationHarness,
} from './notification-test-kit';

let h: NotificationHarness;
let app: NotificationHarness['app'];

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  request_id: string;
  errors?: { field: string; message: string }[];
}

interface Page {
  items: NotificationResource[];
  next_cursor: string | null;
}

const asCustomer = (id: string) => ({ 'X-Customer-Id': id });

async function problem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
  expect(body.request_id).toBe(res.headers.get('X-Request-Id'));
  return body;
}

/** Runs `request` and asserts it was refused with `status` without writing a single row. */
async function refusedUnchanged(status: number, request: () => Response | Promise<Response>): Promise<ProblemBody> {
  const before = await snapshot(h.db);
  const body = await problem(await request(), status);
  expect(await snapshot(h.db)).toEqual(before);
  return body;
}

async function list(query: string, headers: Record<string, string> = supportHeaders): Promise<Page> {
  const res = await app.request(`/notifications${query}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

const manual = { customer_id: JOHN.customer_id, subject: 'About your parcel', text: 'It left our warehouse today.\n\nKind regards' };

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
  app = h.app;
  await knowCustomer(h, JOHN);
  await knowCustomer(h, JANE);
  await h.deliver(message('order.created', orderCreated(JOHN.customer_id)));
  await h.deliver(message('stock.rejected', stockRejected(JOHN.customer_id)));
  await h.deliver(message('order.created', orderCreated(JANE.customer_id)));
});

describe('POST /notifications', () => {
  it('answers 201 with the e-mail notification and a Location that reads it back, and requests e-mail and push', async () => {
    const before = await outboxSize(h.db);
    const res = await app.request('/notifications', json('POST', manual, supportHeaders));
    expect(res.status).toBe(201);
    const created = (await res.json()) as NotificationResource;
    expect(created).toEqual({
      notification_id: expect.any(String),
      customer_id: JOHN.customer_id,
      type: 'manual',
      channel: 'email',
      status: 'pending',
      subject: 'About your parcel',
      text: 'Hello John Smith,\n\nIt left our warehouse today.\n\nKind regards',
      attempts: 0,
      last_error: null,
      order_id: null,
      created_at: expect.any(String),
      sent_at: null,
    });
    expect(res.headers.get('Location')).toBe(`/notifications/${created.notification_id}`);
    const read = await app.request(res.headers.get('Location')!, { headers: supportHeaders });
    expect(await read.json()).toEqual(created);

    const events = await outbox(h.db, before);
    expect(events.map((e) => e.topic)).toEqual(['email.requested', 'push.requested']);
    expect(events[0]!.payload).toMatchObject({ notification_id: created.notification_id, to: JOHN.email, subject: 'About your parcel' });
    expect(events[0]!.payload['html']).toContain('<p style="margin:0 0 16px">It left our warehouse today.</p>');
    expect(events[1]!.payload).toEqual({
      notification_id: expect.any(String),
      customer_id: JOHN.customer_id,
      title: 'About your parcel',
      text: 'It left our warehouse today. Kind regards',
    });
    expect(await historyOf(h.db, created.notification_id)).toEqual([{ outcome: 'requested', attempt: null, error: null }]);
  });

  it('lets admins send too', async () => {
    expect((await app.request('/notifications', json('POST', manual, adminHeaders))).status).toBe(201);
  });

  it('replays the first answer for a repeated Idempotency-Key, and refuses the key with another body (422)', async () => {
    const headers = { ...supportHeaders, 'Idempotency-Key': `k-${randomUUID()}` };
    const first = await app.request('/notifications', json('POST', manual, headers));
    const before = await snapshot(h.db);
    const again = await app.request('/notifications', json('POST', manual, headers));
    expect(again.status).toBe(201);
    expect(again.headers.get('Location')).toBe(first.headers.get('Location'));
    expect(await again.json()).toEqual(await first.json());
    expect(await snapshot(h.db)).toEqual(before);
    await refusedUnchanged(422, () => app.request('/notifications', json('POST', { ...manual, subject: 'Other' }, headers)));
  });

  it('sends nothing when the answer to its Idempotency-Key cannot be stored (they commit together)', async () => {
    const headers = { ...supportHeaders, 'Idempotency-Key': `k-${randomUUID()}` };
    const restore = await refuseIdempotentAnswers(h.db, 'notification');
    try {
      await refusedUnchanged(500, () => app.request('/notifications', json('POST', manual, headers)));
    } finally {
      await restore();
    }
    const retried = await app.request('/notifications', json('POST', manual, headers));
    expect(retried.status).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('answers 422 for an unknown or deleted customer and writes nothing', async () => {
    const unknown = await refusedUnchanged(422, () => app.request('/notifications', json('POST', { ...manual, customer_id: NOBODY }, supportHeaders)));
    expect(unknown.errors).toEqual([{ field: 'customer_id', message: 'unknown customer' }]);
    const gone = randomUUID();
    await knowCustomer(h, { customer_id: gone, name: 'Gone', email: 'gone@example.com' });
    await h.deliver(message('customer.deleted', { customer_id: gone }));
    await refusedUnchanged(422, () => app.request('/notifications', json('POST', { ...manual, customer_id: gone }, supportHeaders)));
  });

  it('answers 422 listing every field problem of a body of the wrong shape, and writes nothing', async () => {
    const body = await refusedUnchanged(422, () =>
      app.request('/notifications', json('POST', { customer_id: 'john', subject: ' ', text: 42, extra: true }, supportHeaders)),
    );
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['customer_id', 'extra', 'subject', 'text']);
  });

  it('answers 400 for a body that is not JSON, including an empty one', async () => {
    await refusedUnchanged(400, () => app.request('/notifications', { method: 'POST', headers: { ...supportHeaders, 'Content-Type': 'application/json' }, body: '{' }));
    await refusedUnchanged(400, () => app.request('/notifications', { method: 'POST', headers: supportHeaders }));
  });

  it('answers 401 without or with an unknown token, 401 for a customer, and checks identity before the body', async () => {
    await refusedUnchanged(401, () => app.request('/notifications', json('POST', manual)));
    await refusedUnchanged(401, () => app.request('/notifications', json('POST', manual, { Authorization: 'Bearer nope' })));
    await refusedUnchanged(401, () => app.request('/notifications', { method: 'POST', body: '{', headers: asCustomer(JOHN.customer_id) }));
  });

  it('answers 413 for a body over the limit', async () => {
    await refusedUnchanged(413, () => app.request('/notifications', json('POST', { ...manual, text: 'x'.repeat(70 * 1024) }, supportHeaders)));
  });
});

describe('GET /notifications', () => {
  it('lists every notification for support, newest first, with the resource fields only', async () => {
    const page = await list('');
    expect(page.items.length).toBeGreaterThanOrEqual(6);
    const times = page.items.map((n) => n.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(Object.keys(page.items[0]!).sort()).toEqual(
      ['attempts', 'channel', 'created_at', 'customer_id', 'last_error', 'notification_id', 'order_id', 'sent_at', 'status', 'subject', 'text', 'type'].sort(),
    );
    expect(new Set(page.items.map((n) => n.customer_id))).toEqual(new Set([JOHN.customer_id, JANE.customer_id]));
  });

  it('filters by customer_id, type, channel and status, together', async () => {
    expect((await list(`?customer_id=${JANE.customer_id}`)).items.every((n) => n.customer_id === JANE.customer_id)).toBe(true);
    const rejected = await list('?type=stock_rejected');
    expect(rejected.items.map((n) => `${n.type} ${n.channel}`).sort()).toEqual(['stock_rejected email', 'stock_rejected push']);
    const pushes = await list(`?channel=push&customer_id=${JOHN.customer_id.toUpperCase()}`);
    expect(pushes.items.length).toBeGreaterThan(0);
    expect(pushes.items.every((n) => n.channel === 'push' && n.customer_id === JOHN.customer_id)).toBe(true);

    const [target] = (await list('?type=order_confirmed&channel=email')).items;
    await h.deliver(message('email.failed', { notification_id: target!.notification_id, attempt: 2, error: 'mailbox full' }));
    const failed = await list('?status=failed&channel=email');
    expect(failed.items.map((n) => [n.notification_id, n.last_error, n.attempts])).toEqual([[target!.notification_id, 'mailbox full', 2]]);
    expect((await list('?status=sent')).items).toEqual([]);
  });

  it('pages with limit and an opaque cursor, without repeating or skipping', async () => {
    const all = (await list('?limit=200')).items.map((n) => n.notification_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(`?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((n) => n.notification_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('answers 422 for bad query parameters', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=ten', 'type=sms_sent', 'channel=sms', 'status=lost', 'customer_id=john', 'cursor=garbage']) {
      const body = await problem(await app.request(`/notifications?${query}`, { headers: supportHeaders }), 422);
      expect(body.errors?.[0]?.field).toBe(query.split('=')[0]);
    }
  });

  it('shows a customer only their own notifications, whatever they filter on', async () => {
    const own = await list('', asCustomer(JANE.customer_id));
    expect(own.items.length).toBe(2);
    expect(own.items.every((n) => n.customer_id === JANE.customer_id)).toBe(true);
    expect((await list(`?customer_id=${JOHN.customer_id}`, asCustomer(JANE.customer_id))).items).toEqual([]);
  });

  it('answers 401 without identity or for an unknown customer, 400 for a malformed X-Customer-Id, 401 for a wrong token', async () => {
    await problem(await app.request('/notifications'), 401);
    await problem(await app.request('/notifications', { headers: asCustomer(NOBODY) }), 401);
    await problem(await app.request('/notifications', { headers: asCustomer('john') }), 400);
    await problem(await app.request('/notifications', { headers: { Authorization: 'Bearer wrong' } }), 401);
  });
});

describe('GET /notifications/:id', () => {
  it('answers the notification to its customer and to support', async () => {
    const [mine] = (await list('', asCustomer(JANE.customer_id))).items;
    const res = await app.request(`/notifications/${mine!.notification_id}`, { headers: asCustomer(JANE.customer_id) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(mine);
    expect((await app.request(`/notifications/${mine!.notification_id}`, { headers: supportHeaders })).status).toBe(200);
  });

  it('answers 404 for another customer’s notification, an unknown id and a malformed id', async () => {
    const [janes] = (await list('', asCustomer(JANE.customer_id))).items;
    const other = await problem(await app.request(`/notifications/${janes!.notification_id}`, { headers: asCustomer(JOHN.customer_id) }), 404);
    const unknown = await problem(await app.request(`/notifications/${randomUUID()}`, { headers: supportHeaders }), 404);
    expect(other.title).toBe(unknown.title);
    await problem(await app.request('/notifications/not-an-id', { headers: supportHeaders }), 404);
  });

  it('answers 401 without identity', async () => {
    await problem(await app.request(`/notifications/${randomUUID()}`), 401);
  });
});

describe('notification routes', () => {
  it('answer 405 with Allow for a wrong method', async () => {
    const res = await app.request('/notifications', { method: 'DELETE', headers: supportHeaders });
    await problem(res, 405);
    expect(res.headers.get('Allow')).toBe('GET, HEAD, POST');
  });

  it('are documented in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/notifications']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/notifications/{id}']!)).toEqual(['get']);
  });

  it('have a handler for every topic the topology routes to the service', () => {
    expect(h.context.events.unhandledTopics()).toEqual([]);
  });
});

// Last: its customer would show in the lists the tests above count.
describe('POST /notifications for a customer without a push subscription', () => {
  it('answers 201 with the e-mail one, and the push one is withdrawn once push.failed says there is no subscription', async () => {
    const customer = { customer_id: randomUUID(), name: 'No Push', email: `nopush-${randomUUID().slice(0, 8)}@example.com` };
    await knowCustomer(h, customer);
    const before = await outboxSize(h.db);
    const res = await app.request('/notifications', json('POST', { ...manual, customer_id: customer.customer_id }, supportHeaders));
    expect(res.status).toBe(201);
    const created = (await res.json()) as NotificationResource;
    expect(created).toMatchObject({ channel: 'email', status: 'pending' });
    const pushRequested = (await outbox(h.db, before)).find((e) => e.topic === 'push.requested')!;

    const pushId = pushRequested.payload['notification_id'] as string;
    // The push service's answer for a customer without any subscription.
    await h.deliver(message('push.failed', { notification_id: pushId, attempt: 1, error: NO_PUSH_SUBSCRIPTION }));
    expect((await list(`?customer_id=${customer.customer_id}&channel=push`)).items).toEqual([]);
    expect((await list(`?customer_id=${customer.customer_id}&status=failed`)).items).toEqual([]);
    expect((await list(`?customer_id=${customer.customer_id}`)).items).toEqual([created]);
    expect((await app.request(`/notifications/${pushId}`, { headers: supportHeaders })).status).toBe(404);
  });
});
