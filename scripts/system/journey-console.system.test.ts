// Journeys in the support console (issue 14), in Chromium: real checkouts through all eight services, then the
// console's journey page, which gathers every service's GET /admin/events. One checkout goes through; for the
// other, order's database refuses the customer's order (a trigger, as in dead-lettered-checkout), so its
// stock-available is dead-lettered and the page must say that is where it stopped.
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedInChromium, TEST_ARTIFACTS, type ServedInChromium } from '@shop/testing/browser';
import { LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { SUPPORT } from './system';
import { asCustomer, eventually, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';

// Two attempts, then the dead letter; no re-asking during the test, so the dead-lettered hop stays the last one.
const system = await useSystem({ maxDeliveryAttempts: 2, env: { CHECKOUT_RETRY_AFTER_SECONDS: '300', CHECKOUT_RETRY_MAX_SECONDS: '300' } });
let served: ServedInChromium;
let base: string;
let browser: Browser;

beforeAll(async () => {
  await system.db.pool.query(`
    CREATE FUNCTION public.refuse_jane_order() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'refused for the journey test: order of customer %', NEW.customer_id;
    END $$;
    CREATE TRIGGER refuse_jane_order BEFORE INSERT ON "order".orders FOR EACH ROW
      WHEN (NEW.customer_id = '${JANE}') EXECUTE FUNCTION public.refuse_jane_order();`);
  await stockedProduct(system, 'JOURNEY-TEE', 10);

  served = await servedInChromium(system.services.notification.http.app.fetch, 'journey');
  ({ base, browser } = served);
}, 60_000);

afterAll(() => served?.close());

async function checkout(customer: string): Promise<{ cart_id: string; request_id: string }> {
  await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'JOURNEY-TEE', quantity: 1 }, asCustomer(customer))), 200);
  return expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customer))), 202);
}

async function signedIn(): Promise<{ page: Page; scriptErrors: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const scriptErrors: string[] = [];
  page.on('pageerror', (err) => scriptErrors.push(err.message));
  await page.goto(`${base}/console`);
  await page.getByLabel('Token').fill(LOCAL_SUPPORT_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/console`);
  return { page, scriptErrors, close: () => context.close() };
}

/** The journey table's rows: topic, subscription, outcome and how long the hop took, in page order. */
async function journeyRows(page: Page): Promise<{ topic: string; to: string; outcome: string; took: string; stopped: boolean }[]> {
  return page.locator('#journey tbody tr').evaluateAll((rows) =>
    rows.map((row) => {
      const cells = [...row.querySelectorAll('td')];
      // The first row of a hop has three more cells (occurred, event, from), spanning its deliveries.
      const own = cells.slice(-4);
      return {
        topic: row.getAttribute('data-topic') ?? '',
        to: own[0]?.textContent ?? '',
        outcome: row.getAttribute('data-outcome') ?? '',
        took: own[3]?.textContent ?? '',
        stopped: row.classList.contains('stopped'),
      };
    }),
  );
}

describe('the support console’s journey page', () => {
  it('shows a checkout found from the front page’s search box, its hops in order, each with the time it took', { timeout: 120_000 }, async () => {
    const { cart_id } = await checkout(JOHN);
    await eventually(() => expectJson<{ status: string }>(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200), (c) => c.status === 'ordered', 30_000);
    await system.quiesce();

    const { page, scriptErrors, close } = await signedIn();
    await page.getByLabel('Cart, order or request id').fill(cart_id);
    await page.getByRole('button', { name: 'Show journey' }).click();
    await page.waitForURL(`${base}/console/journeys/${cart_id}`);
    expect(await page.locator('#journey-stop').innerText()).toContain('Every hop was handled');

    const rows = await journeyRows(page);
    const handled = (topic: string, to: string) => rows.find((r) => r.topic === topic && r.to === to && r.outcome === 'handled');
    for (const [topic, to] of [
      ['order-requested', 'inventory.order-requested'],
      ['stock-available', 'order.stock-available'],
      ['order.created', 'cart.order.created'],
      ['order.created', 'inventory.order.created'],
      ['order.created', 'notification.order.created'],
      ['email.requested', 'email.email.requested'],
    ]) {
      expect(handled(topic!, to!), `${topic} handled by ${to}`).toBeDefined();
      expect(handled(topic!, to!)!.took).toMatch(/^\d+(\.\d+)? m?s$/);
    }
    // One row per delivery, hops in the order the checkout took them.
    const order = [...new Set(rows.map((r) => r.topic))];
    expect(order.indexOf('order-requested')).toBe(0);
    expect(order.indexOf('stock-available')).toBe(1);
    expect(order.indexOf('order.created')).toBe(2);
    expect(order.indexOf('email.requested')).toBeGreaterThan(2);
    expect(rows.some((r) => r.stopped)).toBe(false);
    await page.screenshot({ path: resolve(TEST_ARTIFACTS, 'console-journey.png'), fullPage: true });

    // The order id finds the same journey (order maps it to the cart's correlation id).
    const { items } = await expectJson<{ items: { order_id: string; cart_id: string | null }[] }>(system.request('order', `/orders?customer_id=${JOHN}`, { headers: SUPPORT }), 200);
    const orderId = items.find((o) => o.cart_id === cart_id)!.order_id;
    await page.goto(`${base}/console/journeys/${orderId}`);
    expect((await journeyRows(page)).map((r) => [r.topic, r.to, r.outcome])).toEqual(rows.map((r) => [r.topic, r.to, r.outcome]));
    expect(scriptErrors).toEqual([]);
    await close();
  });

  it('shows where a checkout stopped when order dead-lettered its stock-available', { timeout: 120_000 }, async () => {
    const { cart_id } = await checkout(JANE);
    await eventually(
      () => expectJson<{ items: { topic: string; outcome: string }[] }>(system.request('order', `/admin/events?correlation_id=${cart_id}`, { headers: SUPPORT }), 200),
      (page) => page.items.some((e) => e.topic === 'stock-available' && e.outcome === 'dead_lettered'),
      30_000,
    );

    const { page, scriptErrors, close } = await signedIn();
    await page.goto(`${base}/console/journeys/${cart_id}`);
    const stop = await page.locator('#journey-stop').innerText();
    expect(stop).toMatch(/Stopped: stock-available from inventory was dead-lettered by\s+order\.stock-available \(handler_failed\)/);
    const rows = await journeyRows(page);
    expect(rows.filter((r) => r.stopped).map((r) => [r.topic, r.to, r.outcome])).toEqual([['stock-available', 'order.stock-available', 'dead_lettered']]);
    // Nothing after it: the order was never created.
    expect(rows.map((r) => r.topic)).not.toContain('order.created');
    expect(rows.find((r) => r.topic === 'order-requested')).toMatchObject({ to: 'inventory.order-requested', outcome: 'handled' });
    await page.screenshot({ path: resolve(TEST_ARTIFACTS, 'console-journey-dead-lettered.png'), fullPage: true });
    expect(scriptErrors).toEqual([]);
    await close();
  });
});
