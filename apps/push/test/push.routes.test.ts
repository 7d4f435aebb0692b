import { randomUUID } from 'node:crypto';
import webpush from 'web-push';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { testAppContext } from '@shop/service/test';
import { createApp } from '../src/app';
import { createVapidKeys } from '../src/domain/vapid-keys';
import { fakeBrowser, JANE, JOHN, knowCustomers, NOBODY, pushPayloadOf, requestPush, type BrowserSubscription } from './push-test-kit';

let db: TestDatabase;
let app: ReturnType<typeof createApp>['app'];

beforeAll(async () => {
  db = await useTestDatabase();
  await knowCustomers(db, JOHN, JANE);
  app = createApp(testAppContext('push', db)).app;
});

const asCustomer = (id: string) => ({ 'X-Customer-Id': id });

function browserSubscription(overrides: Partial<BrowserSubscription> = {}): BrowserSubscription {
  return { endpoint: `https://fcm.googleapis.com/fcm/send/${randomUUID()}`, expirationTime: null, keys: fakeBrowser().keys, ...overrides };
}

async function problem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return body;
}

async function tables(): Promise<unknown[]> {
  const { rows: subscriptions } = await db.pool.query('SELECT * FROM push.subscriptions ORDER BY endpoint');
  const { rows: notifications } = await db.pool.query('SELECT * FROM push.notifications ORDER BY notification_id');
  return [subscriptions, notifications];
}

/** Asserts the request is refused with `status` and a problem document, and that nothing was written. */
async function refusedUnchanged(status: number, send: () => Response | Promise<Response>): Promise<Record<string, unknown>> {
  const before = await tables();
  const body = await problem(await send(), status);
  expect(await tables()).toEqual(before);
  return body;
}

function subscribe(body: unknown, headers: Record<string, string> = asCustomer(JOHN)) {
  return app.request('/subscriptions', json('POST', body, headers));
}

describe('GET /vapid-public-key', () => {
  it('answers anyone with the public key browsers subscribe with', async () => {
    const res = await app.request('/vapid-public-key');
    expect(res.status).toBe(200);
    const { public_key } = (await res.json()) as { public_key: string };
    const key = Buffer.from(public_key, 'base64url');
    expect(key).toHaveLength(65);
    expect(key[0]).toBe(4);
  });

  it('keeps the generated key across restarts and instances (it is stored)', async () => {
    const first = (await (await app.request('/vapid-public-key')).json()) as { public_key: string };
    const restarted = createApp(testAppContext('push', db)).app;
    expect(await (await restarted.request('/vapid-public-key')).json()).toEqual(first);
    const { rows } = await db.pool.query('SELECT public_key FROM push.vapid_keys');
    expect(rows).toEqual([{ public_key: first.public_key }]);
  });

  it('answers the configured key when VAPID keys are set', async () => {
    const configured = webpush.generateVAPIDKeys();
    const configuredApp = createApp(testAppContext('push', db), { vapidKeys: createVapidKeys(db.prisma, configured) }).app;
    expect(await (await configuredApp.request('/vapid-public-key')).json()).toEqual({ public_key: configured.publicKey });
  });
});

describe('POST /subscriptions', () => {
  it('answers 201 with the subscription and no Location header', async () => {
    const sub = browserSubscription();
    const res = await subscribe(sub);
    expect(res.status).toBe(201);
    expect(res.headers.get('Location')).toBeNull();
    expect(await res.json()).toEqual({
      subscription_id: expect.any(String),
      customer_id: JOHN,
      endpoint: sub.endpoint,
      expiration_time: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it('is idempotent: subscribing the same endpoint again keeps one subscription, with the newest keys', async () => {
    const sub = browserSubscription();
    const first = (await (await subscribe(sub)).json()) as { subscription_id: string };
    const again = await subscribe(sub);
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ subscription_id: first.subscription_id });
    const renewed = { ...sub, keys: fakeBrowser().keys, expirationTime: Date.parse('2030-01-01T00:00:00Z') };
    expect(await (await subscribe(renewed)).json()).toMatchObject({ subscription_id: first.subscription_id, expiration_time: '2030-01-01T00:00:00.000Z' });
    const { rows } = await db.pool.query('SELECT p256dh, auth FROM push.subscriptions WHERE endpoint = $1', [sub.endpoint]);
    expect(rows).toEqual([{ p256dh: renewed.keys.p256dh, auth: renewed.keys.auth }]);
  });

  it('gives a browser to the customer who signed in on it last', async () => {
    const sub = browserSubscription();
    await subscribe(sub, asCustomer(JOHN));
    expect(await (await subscribe(sub, asCustomer(JANE))).json()).toMatchObject({ customer_id: JANE });
    const { rows } = await db.pool.query('SELECT customer_id FROM push.subscriptions WHERE endpoint = $1', [sub.endpoint]);
    expect(rows).toEqual([{ customer_id: JANE }]);
  });

  it('answers 401 without X-Customer-Id or for an unknown customer, 400 for one that is no UUID, before reading the body', async () => {
    await refusedUnchanged(401, () => subscribe(browserSubscription(), {}));
    await refusedUnchanged(401, () => subscribe(browserSubscription(), asCustomer(NOBODY)));
    await refusedUnchanged(400, () => subscribe(browserSubscription(), asCustomer('john')));
    await refusedUnchanged(401, () => subscribe('not even an object', {}));
    await refusedUnchanged(401, () => subscribe(browserSubscription(), supportHeaders));
  });

  it('answers 400 for a body that is not JSON, or empty', async () => {
    await refusedUnchanged(400, () => app.request('/subscriptions', { method: 'POST', headers: { ...asCustomer(JOHN), 'Content-Type': 'application/json' }, body: '{"endpoint":' }));
    await refusedUnchanged(400, () => app.request('/subscriptions', { method: 'POST', headers: asCustomer(JOHN) }));
  });

  it.each([
    ['a missing endpoint', { keys: fakeBrowser().keys }, 'endpoint'],
    ['an endpoint that is no URL', browserSubscription({ endpoint: 'not a url' }), 'endpoint'],
    ['an endpoint that is not http(s)', browserSubscription({ endpoint: 'ftp://push.example/x' }), 'endpoint'],
    ['missing keys', { endpoint: 'https://fcm.googleapis.com/fcm/send/x' }, 'keys'],
    ['a p256dh that is no P-256 key', browserSubscription({ keys: { p256dh: 'AAAA', auth: fakeBrowser().keys.auth } }), 'keys.p256dh'],
    ['an auth secret of the wrong size', browserSubscription({ keys: { p256dh: fakeBrowser().keys.p256dh, auth: 'AAAA' } }), 'keys.auth'],
    ['keys that are not base64url', browserSubscription({ keys: { p256dh: '!!!', auth: '???' } }), 'keys.p256dh'],
    ['an unknown field', { ...browserSubscription(), customer_id: JANE }, 'customer_id'],
    ['a negative expirationTime', browserSubscription({ expirationTime: -1 }), 'expirationTime'],
    ['an expirationTime past the last date a Date can hold', browserSubscription({ expirationTime: 8.64e15 + 1 }), 'expirationTime'],
    ['a fractional expirationTime', browserSubscription({ expirationTime: 1.5 }), 'expirationTime'],
    ['an endpoint holding U+0000', browserSubscription({ endpoint: 'https://fcm.googleapis.com/fcm/send/a\u0000b' }), 'endpoint'],
  ])('answers 422 for %s, writing nothing', async (_label, body, field) => {
    const problemBody = await refusedUnchanged(422, () => subscribe(body));
    expect(problemBody['errors']).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('answers 422 for an endpoint outside the allowed push services, or not https there', async () => {
    const strict = createApp(testAppContext('push', db), { allowedHosts: ['fcm.googleapis.com', '*.push.services.mozilla.com'] }).app;
    const send = (endpoint: string) => strict.request('/subscriptions', json('POST', browserSubscription({ endpoint }), asCustomer(JOHN)));
    for (const endpoint of ['https://169.254.169.254/latest', 'https://evil.example/push', 'http://fcm.googleapis.com/fcm/send/x', 'https://user:pw@fcm.googleapis.com/x']) {
      const body = await refusedUnchanged(422, () => send(endpoint));
      expect(body['errors']).toEqual([expect.objectContaining({ field: 'endpoint' })]);
    }
    expect((await send('https://updates.push.services.mozilla.com/wpush/v2/abc')).status).toBe(201);
  });

  it('outside development and test, answers 422 for an endpoint that is not https or names a non-public address, even with every host allowed', async () => {
    const production = createApp(testAppContext('push', db), { allowedHosts: ['*'], allowPrivateNetworks: false }).app;
    const send = (endpoint: string) => production.request('/subscriptions', json('POST', browserSubscription({ endpoint }), asCustomer(JOHN)));
    const refused: [string, RegExp][] = [
      ['http://push.example/send/1', /https/],
      ['https://127.0.0.1/send/1', /loopback/],
      ['https://2130706433/send/1', /loopback/],
      ['https://[::1]:8443/send/1', /loopback/],
      ['https://10.1.2.3/send/1', /private/],
      ['https://172.20.0.1/send/1', /private/],
      ['https://192.168.1.10/send/1', /private/],
      ['https://[fd00::1]/send/1', /private/],
      ['https://169.254.169.254/latest', /link-local/],
      ['https://[fe80::1]/send/1', /link-local/],
      ['https://0.0.0.0/send/1', /unspecified/],
      ['https://100.64.0.1/send/1', /carrier-grade NAT/],
      ['https://[::ffff:192.168.0.1]/send/1', /private/],
      ['https://[::ffff:7f00:1]/send/1', /loopback/],
    ];
    for (const [endpoint, why] of refused) {
      const body = await refusedUnchanged(422, () => send(endpoint));
      expect(body['errors'], endpoint).toEqual([expect.objectContaining({ field: 'endpoint', message: expect.stringMatching(why) })]);
    }
    expect((await send('https://push.example/send/1')).status).toBe(201);
    expect((await send('https://8.8.8.8/send/1')).status).toBe(201);
  });

  it('in development and test, takes an http endpoint on loopback (a local push service)', async () => {
    expect((await subscribe(browserSubscription({ endpoint: 'http://127.0.0.1:9/send/local' }))).status).toBe(201);
  });
});

describe('DELETE /subscriptions', () => {
  const unsubscribe = (body: unknown, headers: Record<string, string> = asCustomer(JOHN)) => app.request('/subscriptions', json('DELETE', body, headers));

  it("answers 204 and forgets the customer's browser", async () => {
    const sub = browserSubscription();
    await subscribe(sub);
    const res = await unsubscribe({ endpoint: sub.endpoint });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await refusedUnchanged(404, () => unsubscribe({ endpoint: sub.endpoint }));
  });

  it("answers 404 for an unknown endpoint and for another customer's, leaving it alone", async () => {
    const janes = browserSubscription();
    await subscribe(janes, asCustomer(JANE));
    await refusedUnchanged(404, () => unsubscribe({ endpoint: janes.endpoint }, asCustomer(JOHN)));
    await refusedUnchanged(404, () => unsubscribe({ endpoint: 'https://fcm.googleapis.com/fcm/send/unknown' }));
  });

  it('answers 401/400 for identity, 400 for a body that is not JSON, 422 for a wrong one, writing nothing', async () => {
    const sub = browserSubscription();
    await subscribe(sub);
    await refusedUnchanged(401, () => unsubscribe({ endpoint: sub.endpoint }, {}));
    await refusedUnchanged(401, () => unsubscribe({ endpoint: sub.endpoint }, asCustomer(NOBODY)));
    await refusedUnchanged(400, () => unsubscribe({ endpoint: sub.endpoint }, asCustomer('nope')));
    await refusedUnchanged(400, () => app.request('/subscriptions', { method: 'DELETE', headers: asCustomer(JOHN) }));
    await refusedUnchanged(422, () => unsubscribe({}));
    await refusedUnchanged(422, () => unsubscribe({ endpoint: sub.endpoint, extra: 1 }));
  });
});

describe('GET /notifications/:customerId', () => {
  type Page = { items: { notification_id: string; customer_id: string; status: string; delivered_to: number }[]; next_cursor: string | null };

  it('answers the customer itself with what was pushed to it, newest first', async () => {
    const first = await requestPush(db, pushPayloadOf({ customer_id: JANE, title: 'First' }));
    const second = await requestPush(db, pushPayloadOf({ customer_id: JANE, title: 'Second', url: undefined }));
    const res = await app.request(`/notifications/${JANE}`, { headers: asCustomer(JANE) });
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    expect(page.items.map((n) => n.notification_id)).toEqual([second.notification_id, first.notification_id]);
    expect(page.items[1]).toEqual({
      notification_id: first.notification_id,
      customer_id: JANE,
      title: 'First',
      text: first.text,
      url: first.url,
      status: 'pending',
      attempts: 0,
      delivered_to: 0,
      last_error: null,
      created_at: expect.any(String),
      sent_at: null,
      failed_at: null,
    });
    expect(page.items[0]).toMatchObject({ url: null });
    expect(page.next_cursor).toBeNull();
  });

  it("answers support and admin for any customer, even one without notifications", async () => {
    expect((await app.request(`/notifications/${JANE}`, { headers: supportHeaders })).status).toBe(200);
    expect((await app.request(`/notifications/${JANE.toUpperCase()}`, { headers: adminHeaders })).status).toBe(200);
    expect(await (await app.request(`/notifications/${randomUUID()}`, { headers: supportHeaders })).json()).toEqual({ items: [], next_cursor: null });
  });

  it('pages with limit and an opaque cursor, without gaps or repeats', async () => {
    const customer = randomUUID();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await requestPush(db, pushPayloadOf({ customer_id: customer }))).notification_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.request(`/notifications/${customer}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: supportHeaders });
      const page = (await res.json()) as Page;
      seen.push(...page.items.map((n) => n.notification_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids.reverse());
  });

  it("answers 404, not 403, for another customer's notifications", async () => {
    await problem(await app.request(`/notifications/${JANE}`, { headers: asCustomer(JOHN) }), 404);
  });

  it('answers 401 without identity or for an unknown customer, 400 for a malformed X-Customer-Id, 404 for a malformed path id', async () => {
    await problem(await app.request(`/notifications/${JOHN}`), 401);
    await problem(await app.request(`/notifications/${NOBODY}`, { headers: asCustomer(NOBODY) }), 401);
    await problem(await app.request(`/notifications/${JOHN}`, { headers: asCustomer('john') }), 400);
    await problem(await app.request('/notifications/not-a-uuid', { headers: supportHeaders }), 404);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=garbage', 'cursor'],
  ])('answers 422 for %s', async (query, field) => {
    const body = await problem(await app.request(`/notifications/${JOHN}?${query}`, { headers: asCustomer(JOHN) }), 422);
    expect(body['errors']).toEqual([expect.objectContaining({ field })]);
  });
});
