// From an order or a rejection to a customer's inbox and browser, through the whole system and real peers: a
// real SMTP server (smtp-server, read back with mailparser) and a real Web Push service (web-push-testing,
// which checks the VAPID signature and decrypts the payload as a browser would). Nothing is triggered by hand:
// the services' own consumers and delivery loops carry every step.
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@shop/testing';
import { startSmtpServer, type TestSmtpServer } from '../../apps/email/test/email-test-kit';
import { startWebPushTesting, type WebPushTesting } from '../../apps/push/test/push-test-kit';
import { SUPPORT } from './system';
import { asCustomer, eventually, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';

const ROBERT = { id: '550e8400-e29b-41d4-a716-446655440002', email: 'robert.johnson@example.com' };
const EMILY = { id: '550e8400-e29b-41d4-a716-446655440003', email: 'emily.davis@example.com' };
const JOHN_EMAIL = 'john.smith@example.com';
const JANE_EMAIL = 'jane.doe@example.com';

interface Notification {
  notification_id: string;
  customer_id: string;
  type: string;
  channel: 'email' | 'push';
  status: 'pending' | 'sent' | 'failed';
  subject: string;
  text: string;
  attempts: number;
  last_error: string | null;
  order_id: string | null;
  sent_at: string | null;
}

interface Cart {
  cart_id: string;
  status: string;
  order_id: string | null;
}

// The SMTP server the email service sends to. It can go down and come back on the same port; everything it
// accepted, across restarts, is kept. It refuses Robert's mailbox for good, as a real server refuses an unknown user.
const smtpPort = await freePort();
const smtpRuns: TestSmtpServer[] = [];
let smtp: TestSmtpServer | undefined;

async function smtpUp(): Promise<void> {
  smtp = await startSmtpServer({
    port: smtpPort,
    onRcpt: (address) => (address === ROBERT.email ? { code: 550, message: '5.1.1 mailbox unavailable' } : undefined),
  });
  smtpRuns.push(smtp);
}

async function smtpDown(): Promise<void> {
  await smtp?.close();
  smtp = undefined;
}

await smtpUp();
const pushService: WebPushTesting = await startWebPushTesting();
const system = await useSystem({
  env: {
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    SMTP_ALLOW_PLAINTEXT: 'true',
    SMTP_TIMEOUT_MS: '2000',
    // Quick retries, and enough of them that an outage of a few seconds never exhausts them.
    EMAIL_RETRY_MIN_MS: '200',
    EMAIL_RETRY_MAX_MS: '500',
    EMAIL_MAX_ATTEMPTS: '100',
  },
});

afterAll(async () => {
  await smtpDown();
  await pushService.close();
});

/** Every e-mail the SMTP server accepted for one notification (its X-Notification-Id), parsed. */
async function mailsOf(notificationId: string): Promise<ParsedMail[]> {
  const mails = await Promise.all(smtpRuns.flatMap((run) => run.raw).map((raw) => simpleParser(raw)));
  return mails.filter((m) => m.headers.get('x-notification-id') === notificationId);
}

/** The visible text of an HTML document, whitespace collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<(style|title)[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Support's view of a customer's notifications of one type, as `GET /notifications` answers it. */
async function notificationsOf(customerId: string, type: string): Promise<Notification[]> {
  const page = await expectJson<{ items: Notification[] }>(system.request('notification', `/notifications?customer_id=${customerId}&type=${type}`, { headers: SUPPORT }), 200);
  return page.items;
}

/** Waits until a customer with a push subscription has an e-mail and a push notification of `type` that are no longer pending. */
async function settled(customerId: string, type: string): Promise<{ email: Notification; push: Notification }> {
  const items = await eventually(
    () => notificationsOf(customerId, type),
    (found) => found.length === 2 && found.every((n) => n.status !== 'pending'),
    40_000,
  );
  return { email: items.find((n) => n.channel === 'email')!, push: items.find((n) => n.channel === 'push')! };
}

/**
 * Waits until a customer without a push subscription has only an e-mail notification of `type`, no longer
 * pending: the push one was withdrawn when the push service answered that there is no subscription.
 */
async function settledWithoutPush(customerId: string, type: string): Promise<Notification> {
  const items = await eventually(
    () => notificationsOf(customerId, type),
    (found) => found.length === 1 && found[0]!.channel === 'email' && found[0]!.status !== 'pending',
    40_000,
  );
  return items[0]!;
}

/** Fills the customer's cart and checks it out, as the shop front end does. */
async function checkout(customerId: string, lines: { product_sku: string; quantity: number }[]): Promise<void> {
  for (const line of lines) await expectJson(system.request('cart', '/cart/items', post(line, asCustomer(customerId))), 200);
  await expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customerId))), 202);
}

async function cartOf(customerId: string): Promise<Cart> {
  return expectJson<Cart>(system.request('cart', '/cart', { headers: asCustomer(customerId) }), 200);
}

/** Places an order through the cart and answers its id once the order service confirmed it. */
async function orderThroughCart(customerId: string, lines: { product_sku: string; quantity: number }[]): Promise<string> {
  await checkout(customerId, lines);
  const cart = await eventually(() => cartOf(customerId), (c) => c.status !== 'pending');
  expect(cart.status).toBe('ordered');
  return cart.order_id!;
}

async function page(path: string): Promise<{ status: number; html: string }> {
  const res = await system.request('notification', path, { headers: SUPPORT });
  return { status: res.status, html: await res.text() };
}

let browser: { clientHash: string; endpoint: string };

beforeAll(async () => {
  await stockedProduct(system, 'NOTE-MUG', 20, 1500);
  await stockedProduct(system, 'NOTE-STICKER', 20, 499);
  await stockedProduct(system, 'NOTE-SCARCE', 1, 2500);
  // John's browser subscribes, as the shop front end does with PushManager.subscribe and the service's key.
  const { public_key } = await expectJson<{ public_key: string }>(system.request('push', '/vapid-public-key'), 200);
  const { clientHash, ...subscription } = await pushService.subscribe(public_key);
  await expectJson(system.request('push', '/subscriptions', post(subscription, asCustomer(JOHN))), 201);
  browser = { clientHash, endpoint: subscription.endpoint };
});

describe('an order placed through the cart', () => {
  it('ends with a sent order_confirmed e-mail, received over SMTP with the order’s lines and total, and a sent push', async () => {
    const orderId = await orderThroughCart(JOHN, [
      { product_sku: 'NOTE-MUG', quantity: 2 },
      { product_sku: 'NOTE-STICKER', quantity: 1 },
    ]);
    const ref = orderId.slice(0, 8).toUpperCase();

    const { email, push } = await settled(JOHN, 'order_confirmed');
    expect(email).toMatchObject({
      status: 'sent',
      attempts: 1,
      last_error: null,
      order_id: orderId,
      subject: `Your order ${ref} is confirmed`,
      sent_at: expect.any(String),
    });
    expect(push).toMatchObject({ status: 'sent', attempts: 1, last_error: null, order_id: orderId, sent_at: expect.any(String) });
    // The customer sees the same, and only through their own identity.
    const own = await expectJson<Notification>(system.request('notification', `/notifications/${email.notification_id}`, { headers: asCustomer(JOHN) }), 200);
    expect(own).toEqual(email);

    const [mail, ...again] = await mailsOf(email.notification_id);
    expect(again).toEqual([]);
    expect(mail!.from?.text).toBe('"Shop" <no-reply@example.com>');
    expect(mail!.to).toMatchObject({ value: [{ address: JOHN_EMAIL, name: '' }] });
    expect(mail!.subject).toBe(`Your order ${ref} is confirmed`);
    expect(mail!.messageId).toBe(`<${email.notification_id}@example.com>`);
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail!.text).toContain('Hello John Smith,');
    expect(mail!.text).toMatch(/2 × NOTE-MUG\s+at €15\.00\s+€30\.00/);
    expect(mail!.text).toMatch(/1 × NOTE-STICKER\s+at €4\.99\s+€4\.99/);
    expect(mail!.text).toContain('Total: €34.99');
    expect(mail!.text).toContain(`Order number: ${orderId}`);
    expect(typeof mail!.html).toBe('string');
    const html = textOf(mail!.html as string);
    expect(html).toContain('Item Qty Unit price Amount');
    expect(html).toContain('NOTE-MUG 2 €15.00 €30.00');
    expect(html).toContain('NOTE-STICKER 1 €4.99 €4.99');
    expect(html).toContain('Total €34.99');
    expect(html).toContain(`Your order ${ref} is confirmed`);

    const pushed = await eventually(() => pushService.messages(browser.clientHash), (m) => m.length > 0);
    expect(pushed.map((m) => JSON.parse(m))).toEqual([
      { notification_id: push.notification_id, title: `Order ${ref} confirmed`, text: '3 items, total €34.99. Thank you!', url: `/orders/${orderId}` },
    ]);
    const history = await expectJson<{ items: { notification_id: string; status: string; delivered_to: number }[] }>(
      system.request('push', `/notifications/${JOHN}`, { headers: asCustomer(JOHN) }),
      200,
    );
    expect(history.items).toEqual([expect.objectContaining({ notification_id: push.notification_id, status: 'sent', delivered_to: 1 })]);
  }, 60_000);
});

describe('a checkout inventory cannot serve', () => {
  it('ends with a sent stock_rejected e-mail listing each line with what was requested and what is available, and a push', async () => {
    await checkout(JOHN, [{ product_sku: 'NOTE-SCARCE', quantity: 3 }]);
    expect(await eventually(() => cartOf(JOHN), (c) => c.status !== 'pending')).toMatchObject({ status: 'stock-unavailable', order_id: null });

    const { email, push } = await settled(JOHN, 'stock_rejected');
    expect(email).toMatchObject({ status: 'sent', attempts: 1, subject: 'We could not place your order', order_id: null, sent_at: expect.any(String) });
    expect(push).toMatchObject({ status: 'sent', attempts: 1 });

    const [mail, ...again] = await mailsOf(email.notification_id);
    expect(again).toEqual([]);
    expect(mail!.to).toMatchObject({ value: [{ address: JOHN_EMAIL }] });
    expect(mail!.subject).toBe('We could not place your order');
    expect(mail!.text).toContain('NOTE-SCARCE: requested 3, available 1');
    expect(mail!.text).toContain('Your cart is open again');
    expect(textOf(mail!.html as string)).toContain('Item Requested Available NOTE-SCARCE 3 1');

    const pushed = await eventually(() => pushService.messages(browser.clientHash), (m) => m.length > 1);
    expect(JSON.parse(pushed[1]!)).toEqual({
      notification_id: push.notification_id,
      title: 'We could not place your order',
      text: 'Not available: NOTE-SCARCE (1 of 3)',
      url: '/cart',
    });
  }, 60_000);
});

describe('an order by a customer without a push subscription', () => {
  it('ends, once the system is quiet, with exactly one notification for it: the e-mail, sent; no push and nothing failed', async () => {
    const orderId = await orderThroughCart(JANE, [{ product_sku: 'NOTE-MUG', quantity: 1 }]);
    await settledWithoutPush(JANE, 'order_confirmed');
    await system.quiesce();

    const all = await expectJson<{ items: Notification[] }>(system.request('notification', `/notifications?customer_id=${JANE}&limit=200`, { headers: SUPPORT }), 200);
    const ofOrder = all.items.filter((n) => n.order_id === orderId);
    expect(ofOrder).toEqual([expect.objectContaining({ channel: 'email', type: 'order_confirmed', status: 'sent', last_error: null, sent_at: expect.any(String) })]);
    expect(all.items.filter((n) => n.status === 'failed')).toEqual([]);
    const pushes = await expectJson<{ items: Notification[] }>(system.request('notification', `/notifications?customer_id=${JANE}&channel=push`, { headers: SUPPORT }), 200);
    expect(pushes.items).toEqual([]);
    const [mail, ...again] = await mailsOf(ofOrder[0]!.notification_id);
    expect(again).toEqual([]);
    expect(mail!.to).toMatchObject({ value: [{ address: JANE_EMAIL }] });

    // The push service did answer, with the push.failed that marks the case; the console shows no failed push of hers.
    // Everything a cart checkout causes carries the cart's id as its correlation id (DESIGN.md).
    const { cart_id: cartId } = await cartOf(JANE);
    const { rows: failures } = await system.db.pool.query<{ error: string }>(
      `SELECT payload->>'error' AS error FROM push.outbox WHERE topic = 'push.failed' AND payload->>'notification_id' IN
         (SELECT notification_id::text FROM push.notifications WHERE customer_id = $1::uuid AND correlation_id = $2)`,
      [JANE, cartId],
    );
    expect(failures).toEqual([{ error: 'no_subscription: the customer has no push subscription' }]);
    const consolePage = await page(`/console?customer=${JANE}&status=failed`);
    expect(consolePage.status).toBe(200);
    expect(consolePage.html).toContain('No notifications match');
  }, 60_000);
});

describe('e-mail delivery when SMTP fails', () => {
  it('retries while the SMTP server is down and delivers the e-mail exactly once when it is back; the notification ends sent', async () => {
    await smtpDown();
    await orderThroughCart(EMILY.id, [{ product_sku: 'NOTE-MUG', quantity: 1 }]);

    // Down: the email service keeps trying (connection refused), and the notification waits, pending.
    const waiting = await eventually(
      () => expectJson<{ items: { notification_id: string; status: string; attempts: number; last_error: string | null }[] }>(
        system.request('email', `/messages?customer_id=${EMILY.id}`, { headers: SUPPORT }),
        200,
      ),
      (p) => p.items.length === 1 && p.items[0]!.attempts >= 2,
    );
    const message = waiting.items[0]!;
    expect(message).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/ECONNREFUSED/) });
    const pending = await expectJson<Notification>(system.request('notification', `/notifications/${message.notification_id}`, { headers: SUPPORT }), 200);
    expect(pending).toMatchObject({ channel: 'email', type: 'order_confirmed', status: 'pending', sent_at: null });

    await smtpUp();
    const email = await settledWithoutPush(EMILY.id, 'order_confirmed');
    expect(email.notification_id).toBe(message.notification_id);
    expect(email).toMatchObject({ status: 'sent', sent_at: expect.any(String) });
    expect(email.attempts).toBeGreaterThanOrEqual(3);

    const sent = await expectJson<{ status: string; attempts: number }>(system.request('email', `/messages/${email.notification_id}`, { headers: SUPPORT }), 200);
    expect(sent).toMatchObject({ status: 'sent', attempts: email.attempts });
    const mails = await mailsOf(email.notification_id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toMatchObject({ value: [{ address: EMILY.email }] });
    const { rows: history } = await system.db.pool.query<{ outcome: string; attempt: number | null }>(
      'SELECT outcome, attempt FROM notification.notification_deliveries WHERE notification_id = $1 ORDER BY occurred_at, id',
      [email.notification_id],
    );
    expect(history).toEqual([
      { outcome: 'requested', attempt: null },
      { outcome: 'delivered', attempt: email.attempts },
    ]);
  }, 60_000);

  it('fails an e-mail the SMTP server rejects for good (550) at once, and support sees it in the console', async () => {
    await orderThroughCart(ROBERT.id, [{ product_sku: 'NOTE-STICKER', quantity: 4 }]);

    const email = await settledWithoutPush(ROBERT.id, 'order_confirmed');
    expect(email).toMatchObject({ status: 'failed', attempts: 1, sent_at: null, last_error: expect.stringMatching(/^SMTP 550 5\.1\.1 mailbox unavailable/) });
    expect(await mailsOf(email.notification_id)).toEqual([]);
    const log = await expectJson(system.request('email', `/messages/${email.notification_id}`, { headers: SUPPORT }), 200);
    expect(log).toMatchObject({ status: 'failed', attempts: 1 });

    // At a glance: the failed e-mails, with the error, linking to the notification.
    const list = await page('/console');
    expect(list.status).toBe(200);
    const glance = /<section aria-labelledby="failed-heading">([\s\S]*?)<\/section>/.exec(list.html)![1]!;
    expect(textOf(glance)).toMatch(/[1-9]\d* email failed/);
    expect(glance).toContain(`href="/console/notifications/${email.notification_id}">${email.last_error}</a>`);

    // Filtered by the customer's e-mail address and the status, it is the one row.
    const filtered = await page(`/console?customer=${encodeURIComponent(ROBERT.email)}&status=failed&channel=email`);
    expect(filtered.status).toBe(200);
    const rows = /<table id="notifications">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(filtered.html)![1]!.match(/<tr>[\s\S]*?<\/tr>/g)!;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(`href="/console/notifications/${email.notification_id}"`);
    expect(textOf(rows[0]!)).toContain(`order_confirmed email failed ${email.subject} 1 ${email.last_error}`);

    // Its page: the delivery history, and the e-mail that was not delivered.
    const detail = await page(`/console/notifications/${email.notification_id}`);
    expect(detail.status).toBe(200);
    expect(detail.html).toContain('<span class="badge failed">failed</span>');
    const history = /<table id="history">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(detail.html)![1]!.match(/<tr>[\s\S]*?<\/tr>/g)!.map(textOf);
    expect(history).toHaveLength(2);
    expect(history[0]).toMatch(/requested –/);
    expect(history[1]).toContain(`failed 1 ${email.last_error}`);
    expect(detail.html).toContain(`To ${ROBERT.email}`);
    expect(detail.html).toContain('title="Rendered e-mail"');
  }, 60_000);
});
