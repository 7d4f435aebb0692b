import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedInChromium, TEST_ARTIFACTS, type ServedInChromium } from '@shop/testing/browser';
import { LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { useTestDatabase } from '@shop/testing';
import { JANE, JOHN, knowCustomer, message, notificationHarness, notificationsOf, orderCreated, stockRejected, type NotificationHarness } from './notification-test-kit';

let h: NotificationHarness;
let served: ServedInChromium;
let base: string;
let browser: Browser;
let failedEmailId: string;
let failedOrder: ReturnType<typeof orderCreated>;

beforeAll(async () => {
  h = notificationHarness(await useTestDatabase());
  await knowCustomer(h, JOHN);
  await knowCustomer(h, { ...JANE, name: 'Jane <img src=x onerror=alert(1)>' });
  failedOrder = orderCreated(JOHN.customer_id);
  await h.deliver(message('order.created', failedOrder));
  await h.deliver(message('order.created', orderCreated(JANE.customer_id)));
  await h.deliver(message('stock.rejected', stockRejected(JANE.customer_id)));
  const [email, push] = await notificationsOf(h.db, { orderId: failedOrder.order_id });
  failedEmailId = email!.notification_id;
  await h.deliver(message('email.failed', { notification_id: failedEmailId, attempt: 1, error: 'connection refused' }));
  await h.deliver(message('email.failed', { notification_id: failedEmailId, attempt: 2, error: '450 mailbox busy' }));
  await h.deliver(message('push.delivered', { notification_id: push!.notification_id, attempt: 1 }));

  served = await servedInChromium(h.app.fetch, 'console');
  ({ base, browser } = served);
}, 60_000);

afterAll(() => served?.close());

describe('support console in a browser', () => {
  it('signs in with the support token, filters, opens a notification with its history and e-mail, and signs out', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const scriptErrors: string[] = [];
    page.on('pageerror', (err) => scriptErrors.push(err.message));

    const signInPage = await page.goto(`${base}/console`);
    expect(signInPage?.status()).toBe(401);
    await page.getByLabel('Token').fill(LOCAL_SUPPORT_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/console`);
    await expect.poll(() => page.locator('#notifications tbody tr').count(), { timeout: 15_000 }).toBe(6);
    expect(await page.getByText('signed in as support').isVisible()).toBe(true);
    expect(await page.locator('.glance').innerText()).toContain('1 email failed');

    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'shop_console', path: '/console', httpOnly: true, sameSite: 'Strict' });

    await page.getByLabel('Status').selectOption('failed');
    await page.getByLabel('Channel').selectOption('email');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=failed/);
    const rows = page.locator('#notifications tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('450 mailbox busy');
    await page.screenshot({ path: resolve(TEST_ARTIFACTS, 'console-list.png'), fullPage: true });

    await rows.first().getByRole('link').click();
    await page.waitForURL(`${base}/console/notifications/${failedEmailId}`);
    const history = page.locator('#history tbody tr');
    expect(await history.count()).toBe(3);
    expect(await history.nth(0).innerText()).toContain('requested');
    expect(await history.nth(1).innerText()).toMatch(/failed\s+1\s+connection refused/);
    expect(await history.nth(2).innerText()).toMatch(/failed\s+2\s+450 mailbox busy/);

    const email = page.frameLocator('iframe[title="Rendered e-mail"]');
    // A loaded machine can take seconds to lay out the sandboxed frame: the default second of polling is too short.
    await expect.poll(() => email.getByText('Thank you for your order').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await email.getByRole('cell', { name: 'TSHIRT-RED-M' }).isVisible()).toBe(true);
    expect(await email.locator('tfoot').innerText()).toContain('€48.48');
    await page.screenshot({ path: resolve(TEST_ARTIFACTS, 'console.png'), fullPage: true });

    // The customer whose name is markup: it shows as text, and nothing ran.
    await page.goto(`${base}/console?customer=${JANE.customer_id}`);
    expect(await page.locator('#notifications').innerText()).toContain('Jane <img src=x onerror=alert(1)>');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/console`);
    expect(await page.getByLabel('Token').isVisible()).toBe(true);
    expect(await context.cookies()).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(scriptErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
