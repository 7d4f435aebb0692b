import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedInChromium, type ServedInChromium } from '@shop/testing/browser';
import { createTestApp } from '../src/test-support';

let served: ServedInChromium;
let base: string;
let browser: Browser;

beforeAll(async () => {
  served = await servedInChromium(createTestApp().app.fetch, '/docs');
  ({ base, browser } = served);
}, 60_000);

afterAll(() => served?.close());

describe('/docs in a browser with no internet', () => {
  it('renders the operations from the service alone, with no CSP violation', async () => {
    const context = await browser.newContext();
    // The network is cut off: anything but this server is refused, and remembered.
    const outside: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${base}/`)) return route.continue();
      outside.push(url);
      return route.abort('internetdisconnected');
    });
    // Init scripts run outside the page's policy, so this listener sees every violation the page causes.
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content.Security.Policy/i.test(message.text())) consoleErrors.push(message.text());
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const failed: string[] = [];
    page.on('response', (res) => {
      if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
    });

    const res = await page.goto(`${base}/docs`);
    expect(res?.status()).toBe(200);
    // Swagger UI drew the document it fetched from /openapi.json: the test app's operations, with their summaries.
    const things = page.locator('.opblock-summary-path[data-path="/things"]');
    await things.first().waitFor({ timeout: 20_000 });
    expect(await things.count()).toBe(2);
    expect(await page.locator('.opblock-summary-description', { hasText: 'Create a thing' }).count()).toBe(1);
    expect(await page.locator('.info .title').innerText()).toContain('things service');

    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(failed).toEqual([]);
    expect(outside).toEqual([]);
    await context.close();
  }, 60_000);
});
