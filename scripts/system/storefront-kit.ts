// The storefront over the whole system, for the Chromium tests: every service on a real port (system.listen),
// the storefront calling them over HTTP exactly as `npm start` runs it, served to Debian's Chromium.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, expect } from 'vitest';
import { LOCAL_ADMIN_TOKEN, LOCAL_SUPPORT_TOKEN } from '@shop/config';
import { createLogger } from '@shop/observability';
import { servedInChromium, TEST_ARTIFACTS } from '@shop/testing/browser';
import { createApp } from '../../apps/storefront/src/app';
import { SHOP_SERVICES, type ShopService } from '../../apps/storefront/src/config';
import { httpServiceClient } from '../../apps/storefront/src/service-client';
import type { System } from './system';

export interface ServedStorefront {
  base: string;
  browser: Browser;
  /** A new browser (its own cookies), with script errors collected. */
  open(options?: BrowserContextOptions): Promise<Shopping>;
}

export interface Shopping {
  context: BrowserContext;
  page: Page;
  scriptErrors: string[];
}

/** Serves a storefront over `system`'s services (on real ports) and launches Chromium; both stop after the file. */
export async function serveStorefront(system: System): Promise<ServedStorefront> {
  const urls = await system.listen();
  const app = createApp({
    services: httpServiceClient({ urls: Object.fromEntries(SHOP_SERVICES.map((s) => [s, urls[s]])) as Record<ShopService, string> }),
    logger: createLogger({ service: 'storefront', level: 'silent' }),
    version: 'system',
    identityMode: 'header',
    sessionSecret: randomBytes(32).toString('base64url'),
    adminToken: LOCAL_ADMIN_TOKEN,
    supportToken: LOCAL_SUPPORT_TOKEN,
  });
  const served = await servedInChromium(app.fetch, 'storefront');
  const contexts: BrowserContext[] = [];
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await served.close();
  });
  return {
    base: served.base,
    browser: served.browser,
    async open(options = {}) {
      const context = await served.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
      contexts.push(context);
      const page = await context.newPage();
      const scriptErrors: string[] = [];
      page.on('pageerror', (err) => scriptErrors.push(err.message));
      return { context, page, scriptErrors };
    },
  };
}

/** Signs in by choosing a customer on the sign-in page, as a shopper does. */
export async function signInAs(page: Page, base: string, name: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await page.waitForURL(`${base}/`);
  await expect.poll(() => page.locator('header .who').innerText()).toContain(`Signed in as ${name}`);
}

/** Searches the catalog for `query` and adds `quantity` of the product named `name` to the cart (lands on /cart). */
export async function addToCart(page: Page, base: string, query: string, name: string, quantity = 1): Promise<void> {
  await page.goto(`${base}/?q=${encodeURIComponent(query)}`);
  const card = page.locator('li.card', { has: page.getByRole('link', { name, exact: true }) });
  await card.getByLabel(/^Quantity/).fill(String(quantity));
  await card.getByRole('button', { name: /^Add to cart/ }).click();
  await page.waitForURL(`${base}/cart`);
}

/** The cart's checkout status as the page shows it now (the live region's `data-status`). */
export function cartStatus(page: Page): Promise<string | null> {
  return page.locator('[data-live-cart]').getAttribute('data-status');
}

export function screenshot(page: Page, name: string, fullPage = true): Promise<Buffer> {
  return page.screenshot({ path: resolve(TEST_ARTIFACTS, `${name}.png`), fullPage });
}

/**
 * What accessibility checkers ask of every page: one h1, a main landmark, a label for every control, and a
 * visible focus ring for the keyboard.
 */
export async function expectAccessible(page: Page): Promise<void> {
  const found = await page.evaluate(() => {
    const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')] as HTMLInputElement[];
    return {
      h1: document.querySelectorAll('h1').length,
      main: document.querySelectorAll('main').length,
      unlabelled: controls.filter((c) => !c.labels?.length && !c.getAttribute('aria-label')).map((c) => c.outerHTML),
      lang: document.documentElement.lang,
      viewport: document.querySelector('meta[name=viewport]')?.getAttribute('content') ?? '',
    };
  });
  expect(found).toMatchObject({ h1: 1, main: 1, unlabelled: [], lang: 'en' });
  expect(found.viewport).toContain('width=device-width');
  // The skip link is the first stop of the keyboard, and shows a focus ring.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    return { text: el.textContent, outline: style.outlineStyle, width: style.outlineWidth };
  });
  expect(focused).toMatchObject({ text: 'Skip to content', outline: 'solid', width: '3px' });
}
