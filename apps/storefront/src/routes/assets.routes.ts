import type { Hono } from 'hono';
import { PAGE_SCRIPT, SERVICE_WORKER, STYLESHEET } from '../assets/assets';
import { SCRIPT_PATH, STYLESHEET_PATH } from '../views/layout';

// Versioned URLs (a content hash in the name): a browser may keep them for a year.
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The stylesheet, the page script and the service worker. */
export function registerAssetRoutes(app: Hono): void {
  app.get(STYLESHEET_PATH, (c) => c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': IMMUTABLE }));
  app.get(SCRIPT_PATH, (c) => c.body(PAGE_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': IMMUTABLE }));
  // The worker's URL must stay the same (its scope is the whole site); browsers check it for updates.
  app.get('/sw.js', (c) => c.body(SERVICE_WORKER, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }));
}
