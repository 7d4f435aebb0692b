// The storefront (issue 15) in Chromium, over the whole system: the storefront talks real HTTP to the eight
// services on their own ports, which run on this file's PostgreSQL with the embedded transport and e-mail
// catcher. A shopper buys from the catalog to the confirmation e-mail; two shoppers race for the last unit
// and each sees the honest outcome live; a cancelled order puts its unit back in the catalog; the shop works
// without script and on a phone.
import { randomBytes, randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import webpush from 'web-push';
import { beforeAll, describe, expect, it } from 'vitest';
import { addToCart, cartStatus, expectAccessible, screenshot, serveStorefront, signInAs, type ServedStorefront } from './storefront-kit';
import { ADMIN, SUPPORT } from './system';
import { eventually, expectJson, JANE, JOHN, post, useSystem } from './system-kit';

const system = await useSystem();
let shop: ServedStorefront;

/** A product with stock, through the admin APIs, once cart and product know it. */
async function product(sku: string, name: string, description: string, priceCents: number, available: number): Promise<void> {
  await expectJson(system.request('product', '/products', post({ sku, name, description, price_cents: priceCents, currency: 'EUR' }, ADMIN)), 201);
  await expectJson(system.request('inventory', '/inventory', post({ sku, available }, ADMIN)), 201);
}

beforeAll(async () => {
  await product('STORE-LAMP', 'Desk lamp', 'Warm LED light, dimmable.', 3450, 5);
  await product('STORE-LAST', 'Signed print', 'Numbered edition: the last one.', 9900, 1);
  await product('STORE-TOTE', 'Tote bag', 'Sturdy canvas, long handles.', 500, 20);
  await system.quiesce();
  shop = await serveStorefront(system);
}, 60_000);

/** The e-mails the embedded catcher received for `address`, parsed. */
async function mailsTo(address: string) {
  const caught = system.services.email.module.mailbox!.list().filter((m) => m.envelopeTo.includes(address));
  return Promise.all(caught.map((m) => simpleParser(m.raw)));
}

describe('the storefront in Chromium', () => {
  it('takes a new customer from the catalog to a confirmed order and its confirmation e-mail', { timeout: 90_000 }, async () => {
    const { page, scriptErrors } = await shop.open();
    const { base } = shop;
    await page.goto(`${base}/`);
    await expect.poll(() => page.locator('li.card').count()).toBeGreaterThanOrEqual(9);
    await screenshot(page, 'storefront-catalog', false);
    await expectAccessible(page);

    // Search, price range and sorting are GET /products's own: the lamp costs €34.50.
    await page.getByLabel('Search').fill('lamp');
    await page.getByLabel('Min price').fill('30');
    await page.getByLabel('Max price').fill('40');
    await page.getByLabel('Sort by').selectOption('-price');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/\?q=lamp&min=30&max=40&sort=-price$/);
    expect(await page.locator('li.card h2').allInnerTexts()).toEqual(['Desk lamp']);
    expect(await page.locator('li.card .price').innerText()).toBe('€34.50');
    expect(await page.locator('li.card [data-stock]').innerText()).toBe('Only 5 left');

    // A new customer, created from the sign-in page, is signed in at once.
    const email = `ada-${randomUUID()}@example.com`;
    await page.getByRole('link', { name: 'Sign in' }).click();
    await screenshot(page, 'storefront-sign-in');
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.waitForURL(`${base}/`);
    expect(await page.locator('header .who').innerText()).toContain('Signed in as Ada Lovelace');

    await page.getByRole('link', { name: 'Desk lamp' }).click();
    await page.waitForURL(`${base}/products/STORE-LAMP`);
    await expectAccessible(page);
    await page.getByLabel(/^Quantity/).fill('1');
    await page.getByRole('button', { name: /^Add to cart/ }).click();
    await page.waitForURL(`${base}/cart`);
    // Change the quantity to 2 on the cart page.
    await page.getByLabel('Quantity of Desk lamp').fill('2');
    await page.getByRole('button', { name: /^Update/ }).click();
    await page.waitForURL(`${base}/cart`);
    expect(await page.locator('[data-total]').innerText()).toBe('€69.00');
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Check out' }).click();
    await page.waitForURL(`${base}/cart`);
    await expect.poll(() => cartStatus(page), { timeout: 30_000 }).toBe('ordered');
    await screenshot(page, 'storefront-ordered');
    const orderLink = page.locator('[data-live-cart] a[href^="/orders/"]');
    const orderId = (await orderLink.getAttribute('href'))!.slice('/orders/'.length);
    await orderLink.click();
    await page.waitForURL(`${base}/orders/${orderId}`);
    expect(await page.locator('[data-order-status]').innerText()).toBe('confirmed');

    // The shipping address goes to PUT /orders/:id.
    await page.getByLabel('Full name').fill('Ada Lovelace');
    await page.getByLabel('Address', { exact: true }).fill('12 St James’s Square');
    await page.getByLabel('City').fill('London');
    await page.getByLabel('Postal code').fill('SW1Y 4LB');
    await page.getByLabel('Country').fill('United Kingdom');
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.waitForURL(`${base}/orders/${orderId}?done=saved`);
    expect(await page.locator('.alert.ok').innerText()).toContain('Address saved');
    expect(await page.getByLabel('City').inputValue()).toBe('London');
    await screenshot(page, 'storefront-order');
    await expectAccessible(page);

    const ref = orderId.slice(0, 8).toUpperCase();
    const [mail] = await eventually(() => mailsTo(email), (mails) => mails.length > 0, 30_000);
    expect(mail!.subject).toBe(`Your order ${ref} is confirmed`);
    expect(mail!.text).toContain('Hello Ada Lovelace,');
    expect(mail!.text).toMatch(/2 × STORE-LAMP\s+at €34\.50\s+€69\.00/);

    await page.getByRole('link', { name: 'Notifications' }).click();
    await expect.poll(async () => {
      await page.reload();
      return page.locator('tr[data-notification="order_confirmed"]').count();
    }, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'storefront-notifications');
    await expectAccessible(page);
    expect(scriptErrors).toEqual([]);
  });

  it('lets two shoppers race for the last unit: one sees ordered, the other the shortage, live, without reloading', { timeout: 90_000 }, async () => {
    const { base } = shop;
    const john = await shop.open();
    const jane = await shop.open();
    await signInAs(john.page, base, 'John Smith');
    await signInAs(jane.page, base, 'Jane Doe');
    await addToCart(john.page, base, 'print', 'Signed print');
    await addToCart(jane.page, base, 'print', 'Signed print');

    // Inventory waits on this row lock, so both checkouts are still pending when their pages show: what
    // follows can only arrive through the live stream.
    const lock = await system.db.pool.connect();
    try {
      await lock.query('BEGIN');
      await lock.query(`SELECT 1 FROM inventory.stock WHERE sku = 'STORE-LAST' FOR UPDATE`);
      await Promise.all([john, jane].map((s) => s.page.getByRole('button', { name: 'Check out' }).click()));
      for (const s of [john, jane]) {
        await s.page.waitForURL(`${base}/cart`);
        expect(await cartStatus(s.page)).toBe('pending');
        // A reload or navigation would lose this.
        await s.page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
      }
      await screenshot(john.page, 'storefront-checkout-pending', false);
    } finally {
      await lock.query('COMMIT');
      lock.release();
    }

    for (const s of [john, jane]) await expect.poll(() => cartStatus(s.page), { timeout: 30_000 }).not.toBe('pending');
    const statuses = await Promise.all([john, jane].map((s) => cartStatus(s.page)));
    expect([...statuses].sort()).toEqual(['ordered', 'stock-unavailable']);
    for (const s of [john, jane]) expect(await s.page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);

    const loser = statuses[0] === 'stock-unavailable' ? john : jane;
    const winner = loser === john ? jane : john;
    const short = loser.page.locator('tr[data-short-sku="STORE-LAST"]');
    expect(await short.locator('[data-requested]').innerText()).toBe('1');
    expect(await short.locator('[data-available]').innerText()).toBe('0');
    expect(await loser.page.getByRole('alert').innerText()).toContain('Not enough stock');
    // The cart is open again for the loser: quantities can change and checkout is offered.
    expect(await loser.page.getByRole('button', { name: 'Check out' }).count()).toBe(1);
    await screenshot(loser.page, 'storefront-sold-out', false);
    expect(await winner.page.getByRole('status').first().innerText()).toContain('Ordered');
    expect([...john.scriptErrors, ...jane.scriptErrors]).toEqual([]);
  });

  it('puts the unit of a cancelled order back in the catalog', { timeout: 90_000 }, async () => {
    const { base } = shop;
    const { page, scriptErrors } = await shop.open();
    // Whoever won the race holds the last unit; the catalog says it is sold out.
    const held = [];
    for (const [customer, name] of [[JOHN, 'John Smith'], [JANE, 'Jane Doe']] as const) {
      const { items } = await expectJson<{ items: { order_id: string; status: string; items: { product_sku: string }[] }[] }>(
        system.request('order', `/orders?customer_id=${customer}`, { headers: SUPPORT }),
        200,
      );
      for (const o of items) if (o.status === 'confirmed' && o.items.some((i) => i.product_sku === 'STORE-LAST')) held.push({ orderId: o.order_id, name });
    }
    expect(held).toHaveLength(1);
    const [{ orderId, name }] = held as [{ orderId: string; name: string }];
    await page.goto(`${base}/?q=print`);
    expect(await page.locator('li.card [data-stock]').innerText()).toBe('Sold out');
    expect(await page.getByRole('button', { name: /^Sold out/ }).isDisabled()).toBe(true);

    await signInAs(page, base, name);
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.locator(`tr[data-order="${orderId}"] a`).click();
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.waitForURL(`${base}/orders/${orderId}?done=cancelled`);
    expect(await page.locator('[data-order-status]').innerText()).toBe('cancelled');
    expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);

    await expect.poll(async () => {
      await page.goto(`${base}/?q=print`);
      return page.locator('li.card [data-stock]').innerText();
    }, { timeout: 30_000 }).toBe('Only 1 left');
    await screenshot(page, 'storefront-back-in-stock', false);
    expect(scriptErrors).toEqual([]);
  });

  it('opts a shopper in to Web Push: the page offers it, and the browser’s subscription reaches the push service as theirs', { timeout: 60_000 }, async () => {
    const { base } = shop;
    const { page, scriptErrors } = await shop.open();
    await signInAs(page, base, 'Robert Johnson');
    await page.getByRole('link', { name: 'Notifications' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Turn on push notifications' }).isVisible()).toBe(true);
    expect(await page.request.get(`${base}/sw.js`).then((r) => r.headers()['content-type'])).toMatch(/^text\/javascript/);
    // What the page script does after the browser's push service answers (which needs the internet): the
    // VAPID key from the push service, then the subscription handed to the shop.
    const { publicKey } = webpush.generateVAPIDKeys();
    const endpoint = `http://127.0.0.1:9/push/${randomUUID()}`;
    const answers = await page.evaluate(
      async ({ endpoint, p256dh, auth }) => {
        const key = (await (await fetch('/push/vapid-public-key')).json()) as { public_key: string };
        const res = await fetch('/push/subscriptions', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
        });
        return { key: key.public_key, status: res.status, body: await res.text() };
      },
      { endpoint, p256dh: publicKey, auth: randomBytes(16).toString('base64url') },
    );
    expect(answers).toEqual({ key: expect.stringMatching(/^[\w-]{80,}$/), status: 204, body: '' });
    const { rows } = await system.db.pool.query(`SELECT customer_id FROM push.subscriptions WHERE endpoint = $1`, [endpoint]);
    expect(rows).toEqual([{ customer_id: '550e8400-e29b-41d4-a716-446655440002' }]);
    expect(scriptErrors).toEqual([]);
  });

  it('works without script: browse, sign in, add to cart, and check out (the page reloads itself while pending)', { timeout: 60_000 }, async () => {
    const { base } = shop;
    const { page } = await shop.open({ javaScriptEnabled: false });
    await signInAs(page, base, 'Emily Davis');
    await page.getByLabel('Sort by').selectOption('price');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/sort=price/);
    await addToCart(page, base, 'tote', 'Tote bag', 3);
    expect(await page.locator('tr[data-line="STORE-TOTE"] input[name=quantity]').inputValue()).toBe('3');
    expect(await page.locator('[data-total]').innerText()).toBe('€15.00');
    await page.getByRole('button', { name: /^Remove/ }).click();
    await page.waitForURL(`${base}/cart`);
    expect(await page.locator('[data-live-cart]').innerText()).toContain('Your cart is empty.');
    await addToCart(page, base, 'tote', 'Tote bag', 1);
    await page.getByRole('button', { name: 'Check out' }).click();
    await expect.poll(() => cartStatus(page), { timeout: 30_000 }).toBe('ordered');
  });

  it('fits a phone: no sideways scrolling on the catalog, the cart and an order', { timeout: 60_000 }, async () => {
    const { base } = shop;
    const { page, scriptErrors } = await shop.open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await signInAs(page, base, 'Michael Wilson');
    await screenshot(page, 'storefront-phone-catalog', false);
    await addToCart(page, base, 'tote', 'Tote bag', 2);
    for (const path of ['/', '/cart', '/orders', '/notifications', '/products/STORE-TOTE']) {
      await page.goto(`${base}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await page.goto(`${base}/cart`);
    await screenshot(page, 'storefront-phone-cart');
    expect(scriptErrors).toEqual([]);
  });
});
