import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { adminHeaders, supportHeaders, useTestDatabase } from '@shop/testing';
import { NO_PUSH_SUBSCRIPTION } from '../src/domain/delivery-status';
import { JOHN, knowCustomer, message, notificationHarness, notificationsOf, orderCreated, outboxSize, snapshot, type NotificationHarness } from './notification-test-kit';

let h: NotificationHarness;
let app: NotificationHarness['app'];

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});

/** Signs in through the form and answers the `Cookie` header a browser would send back. */
async function signIn(token = LOCAL_SUPPORT_TOKEN): Promise<string> {
  const res = await app.request('/console/session', form({ token }));
  expect(res.status).toBe(303);
  return res.headers.get('Set-Cookie')!.split(';')[0]!;
}

async function expectSignInPage(res: Response): Promise<string> {
  expect(res.status).toBe(401);
  expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
  const body = await res.text();
  expect(body).toContain('<form method="post" action="/console/session">');
  expect(body).toContain('name="token"');
  return body;
}

let order: ReturnType<typeof orderCreated>;

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
  app = h.app;
  await knowCustomer(h, { ...JOHN, name: 'John <b>Smith</b>' });
  order = orderCreated(JOHN.customer_id, { items: [{ product_sku: '<img src=x onerror=alert(1)>', quantity: 1, unit_price_cents: 4848 }] });
  await h.deliver(message('order.created', order));
});

describe('GET /console', () => {
  it('answers 401 with an HTML sign-in page without credentials, or with a customer id', async () => {
    await expectSignInPage(await app.request('/console'));
    await expectSignInPage(await app.request('/console', { headers: { 'X-Customer-Id': JOHN.customer_id } }));
  });

  it('answers 401 with the sign-in page for a wrong bearer token, even with a valid session cookie', async () => {
    const cookie = await signIn();
    await expectSignInPage(await app.request('/console', { headers: { Authorization: 'Bearer wrong-token', Cookie: cookie } }));
  });

  it('shows the notifications to a support or admin bearer token, with everything escaped', async () => {
    for (const headers of [supportHeaders, adminHeaders]) {
      const res = await app.request('/console', { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
      expect(res.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
      const body = await res.text();
      expect(body).toContain('Failed deliveries');
      expect(body).toContain('John &lt;b&gt;Smith&lt;/b&gt;');
      expect(body).not.toContain('<b>Smith</b>');
      expect(body).toContain(`Your order ${order.order_id.slice(0, 8).toUpperCase()} is confirmed`);
    }
  });

  it('filters by customer (id or e-mail), type, channel and status', async () => {
    const [email] = await notificationsOf(h.db, { orderId: order.order_id });
    await h.deliver(message('email.failed', { notification_id: email!.notification_id, attempt: 2, error: 'mailbox <full>' }));
    const failed = await (await app.request('/console?status=failed&channel=email&type=&customer=', { headers: supportHeaders })).text();
    expect(failed).toContain(`/console/notifications/${email!.notification_id}`);
    expect(failed).toContain('mailbox &lt;full&gt;');
    expect(failed).toContain('1 email failed');
    const byEmail = await (await app.request(`/console?customer=${encodeURIComponent(JOHN.email.toUpperCase())}&channel=push`, { headers: supportHeaders })).text();
    expect(byEmail).toContain('Order ');
    expect(byEmail).not.toContain('No notifications match');
    const nobody = await (await app.request('/console?customer=nobody%40example.com', { headers: supportHeaders })).text();
    expect(nobody).toContain('No notifications match');
  });

  it('answers 422 with the page and the problems for bad filters', async () => {
    const res = await app.request('/console?status=lost&customer=john', { headers: supportHeaders });
    expect(res.status).toBe(422);
    const body = await res.text();
    expect(body).toContain('<strong>status</strong>');
    expect(body).toContain('<strong>customer</strong>');
  });
});

describe('POST /console/session', () => {
  it('answers 303 to /console with an HttpOnly, SameSite=Strict session cookie scoped to the console', async () => {
    const res = await app.request('/console/session', form({ token: LOCAL_SUPPORT_TOKEN }));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/console');
    const cookie = res.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^shop_console=v1\.support\.[^;]+; Max-Age=28800; Path=\/console; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(LOCAL_SUPPORT_TOKEN);
  });

  it('marks the cookie Secure behind HTTPS', async () => {
    const res = await app.request('/console/session', form({ token: LOCAL_ADMIN_TOKEN }, { 'X-Forwarded-Proto': 'https' }));
    expect(res.headers.get('Set-Cookie')).toMatch(/shop_console=v1\.admin\..*; Secure/);
  });

  it('gives a session the console accepts', async () => {
    const res = await app.request('/console', { headers: { Cookie: await signIn() } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('signed in as support');
  });

  it('answers 401 with the sign-in page and an explanation for a wrong or missing token, and sets no cookie', async () => {
    for (const token of ['wrong-token', '', 'Bearer ' + LOCAL_SUPPORT_TOKEN]) {
      const res = await app.request('/console/session', form({ token }));
      const body = await expectSignInPage(res);
      expect(body).toContain('role="alert"');
      expect(res.headers.get('Set-Cookie')).toBeNull();
    }
  });

  it('refuses a forged or tampered cookie', async () => {
    await expectSignInPage(await app.request('/console', { headers: { Cookie: 'shop_console=v1.admin.9999999999.x.forged' } }));
    const cookie = await signIn();
    await expectSignInPage(await app.request('/console', { headers: { Cookie: cookie.replace('v1.support', 'v1.admin') } }));
  });

  it('answers 403 to a sign-in posted from another site, and 415 to a body that is not a form', async () => {
    const cross = await app.request('/console/session', form({ token: LOCAL_SUPPORT_TOKEN }, { 'Sec-Fetch-Site': 'cross-site' }));
    expect(cross.status).toBe(403);
    expect(cross.headers.get('Set-Cookie')).toBeNull();
    const otherOrigin = await app.request('http://localhost/console/session', form({ token: LOCAL_SUPPORT_TOKEN }, { Origin: 'https://evil.example', Host: 'localhost' }));
    expect(otherOrigin.status).toBe(403);
    const sameOrigin = await app.request('http://localhost/console/session', form({ token: LOCAL_SUPPORT_TOKEN }, { Origin: 'http://localhost', Host: 'localhost' }));
    expect(sameOrigin.status).toBe(303);
    const notForm = await app.request('/console/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"token":"x"}' });
    expect(notForm.status).toBe(415);
    expect(notForm.headers.get('Content-Type')).toBe('application/problem+json');
  });
});

describe('POST /console/sign-out', () => {
  it('expires the cookie and sends the browser back to the console', async () => {
    const res = await app.request('/console/sign-out', form({}));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/console');
    expect(res.headers.get('Set-Cookie')).toMatch(/^shop_console=; Max-Age=0; Path=\/console; HttpOnly; SameSite=Strict$/);
  });
});

describe('GET /console/notifications/:id', () => {
  it('shows the notification, its delivery history and its e-mail in a sandboxed frame', async () => {
    const [email] = await notificationsOf(h.db, { orderId: order.order_id });
    const res = await app.request(`/console/notifications/${email!.notification_id}`, { headers: { Cookie: await signIn() } });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('Delivery history');
    expect(body).toMatch(/<span class="badge requested">requested<\/span>/);
    expect(body).toMatch(/<span class="badge failed">failed<\/span><\/td><td>2<\/td><td class="error">mailbox &lt;full&gt;/);
    expect(body).toContain('<iframe title="Rendered e-mail" sandbox="" referrerpolicy="no-referrer" srcdoc="&lt;!doctype html&gt;');
    // The e-mail's own escaping survives the second one of srcdoc: the SKU is text, never an element.
    expect(body).toContain('&amp;lt;img src=x onerror=alert(1)&amp;gt;');
    expect(body).not.toContain('<img src=x');
  });

  it('serves the rendered e-mail on its own under a sandboxing CSP', async () => {
    const [email] = await notificationsOf(h.db, { orderId: order.order_id });
    const res = await app.request(`/console/notifications/${email!.notification_id}/email`, { headers: supportHeaders });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Security-Policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(await res.text()).toBe(email!.html);
  });

  it('answers 404 pages for unknown and malformed ids, and 401 without a session', async () => {
    expect((await app.request('/console/notifications/6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a', { headers: supportHeaders })).status).toBe(404);
    expect((await app.request('/console/notifications/nope', { headers: supportHeaders })).status).toBe(404);
    const [, push] = await notificationsOf(h.db, { orderId: order.order_id });
    expect((await app.request(`/console/notifications/${push!.notification_id}/email`, { headers: supportHeaders })).status).toBe(404);
    await expectSignInPage(await app.request(`/console/notifications/${push!.notification_id}`));
  });
});

describe('POST /console/notifications', () => {
  it('sends a message from the console once per form, and shows it', async () => {
    const cookie = await signIn();
    const fields = { form_id: '0b5f4e1c-8a3d-4f6e-9b2a-1c7d8e9f0a1b', customer_id: JOHN.customer_id, subject: 'Hello from support', text: 'We are on it.' };
    const before = await outboxSize(h.db);
    const res = await app.request('/console/notifications', form(fields, { Cookie: cookie }));
    expect(res.status).toBe(303);
    const location = res.headers.get('Location')!;
    expect(location).toMatch(/^\/console\/notifications\/[0-9a-f-]{36}$/);
    expect(await outboxSize(h.db)).toBe(before + 2);
    const again = await app.request('/console/notifications', form(fields, { Cookie: cookie }));
    expect(again.headers.get('Location')).toBe(location);
    expect(await outboxSize(h.db)).toBe(before + 2);
    expect(await (await app.request(location, { headers: { Cookie: cookie } })).text()).toContain('Hello from support');
  });

  it('refuses without a session (401), from another site (403), and a bad or unknown customer (422), writing nothing', async () => {
    const fields = { customer_id: JOHN.customer_id, subject: 'Hi', text: 'Text' };
    const before = await snapshot(h.db);
    await expectSignInPage(await app.request('/console/notifications', form(fields)));
    expect((await app.request('/console/notifications', form(fields, { ...supportHeaders, 'Sec-Fetch-Site': 'cross-site' }))).status).toBe(403);
    expect((await app.request('/console/notifications', form({ ...fields, subject: '' }, supportHeaders))).status).toBe(422);
    const unknown = await app.request('/console/notifications', form({ ...fields, customer_id: '6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a' }, supportHeaders));
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain('unknown customer');
    expect(await snapshot(h.db)).toEqual(before);
  });
});

describe('a push withdrawn because the customer has no push subscription', () => {
  it('is neither counted nor listed among the failed deliveries, and its page is gone', async () => {
    const failedPage = async () => (await app.request('/console?status=failed&channel=push', { headers: supportHeaders })).text();
    const pushFailedCount = (body: string) => Number(/(\d+) push failed/.exec(body)![1]);
    const other = orderCreated(JOHN.customer_id);
    await h.deliver(message('order.created', other));
    const [, push] = await notificationsOf(h.db, { orderId: other.order_id });
    const before = pushFailedCount(await failedPage());

    await h.deliver(message('push.failed', { notification_id: push!.notification_id, attempt: 1, error: NO_PUSH_SUBSCRIPTION }));
    const after = await failedPage();
    expect(pushFailedCount(after)).toBe(before);
    expect(after).not.toContain(push!.notification_id);
    expect((await app.request(`/console/notifications/${push!.notification_id}`, { headers: supportHeaders })).status).toBe(404);
    const list = await (await app.request(`/console?customer=${JOHN.customer_id}&channel=push`, { headers: supportHeaders })).text();
    expect(list).not.toContain(push!.notification_id);
  });
});
