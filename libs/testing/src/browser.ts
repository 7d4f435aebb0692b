// Browser tests (the support console, /docs, journeys): an app served on a free local port and Debian's
// Chromium driven by playwright-core, which cannot download a browser here (ENVIRONMENT.md).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/** Where browser tests keep their screenshots (gitignored). */
export const TEST_ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts');

export interface ServedInChromium {
  /** The app's base URL, `http://127.0.0.1:<port>`. */
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Serves `fetch` and launches Chromium headless. A missing browser fails the test that needs it, never skips it
 * silently (CI installs chromium in .ci/run); `what` names that test in the message.
 */
export async function servedInChromium(fetch: (request: Request) => Response | Promise<Response>, what: string): Promise<ServedInChromium> {
  if (!existsSync(CHROMIUM)) throw new Error(`The ${what} browser test needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\`.`);
  const server: ServerType = serve({ fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', () => ready())));
  await mkdir(TEST_ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    browser,
    async close() {
      await browser.close();
      await new Promise((done) => server.close(done));
    },
  };
}
