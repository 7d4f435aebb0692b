import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../src/test-support';

// ENVIRONMENT.md: Debian's chromium, driven by playwright-core (which cannot download a browser here).
const CHROMIUM = '/usr/bin/chromium';

let server: ServerType;
let base: string;
let browser: Browser;

beforeAll(async () => {
  server = serve({ fetch: createTestApp().app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', () => ready())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!existsSync(CHROMIUM)) {
    // CI installs chromium (.ci/run); a missing browser must fail this test, never skip it silently.
    throw new Error(`The /docs browser test needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\`.`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
});

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
