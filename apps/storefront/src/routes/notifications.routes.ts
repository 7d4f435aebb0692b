import type { Hono } from 'hono';
import { z } from 'zod';
import { ServiceProblem } from '../service-client';
import { notificationsPage } from '../views/account.page';
import { render, shopperOf, signInHref, type Storefront } from './web';

/** What a browser's `PushSubscription.toJSON()` holds that the push service takes. */
const BrowserSubscription = z.object({
  endpoint: z.string().min(1).max(2_048),
  keys: z.object({ p256dh: z.string().min(1).max(512), auth: z.string().min(1).max(512) }),
});

/** The shopper's notifications, and Web Push: the push service's VAPID key and the browser's subscription. */
export function registerNotificationRoutes(app: Hono, shop: Storefront): void {
  app.get('/notifications', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref('/notifications'), 303);
    const { items } = await shop.api.notifications(shopper);
    return render(c, shop, { title: 'Notifications', current: 'notifications', body: notificationsPage(items) });
  });

  app.get('/push/vapid-public-key', async (c) => c.json(await shop.api.vapidPublicKey(), 200, { 'Cache-Control': 'no-store' }));

  // Called by the page script (JSON, same origin only: app.ts refuses cross-site POSTs; a JSON body cannot be
  // sent cross-site without a CORS preflight, which this never grants).
  app.post('/push/subscriptions', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.json({ title: 'Sign in first' }, 401);
    if (!c.req.header('Content-Type')?.toLowerCase().startsWith('application/json')) return c.json({ title: 'Send JSON' }, 415);
    const parsed = BrowserSubscription.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ title: 'Not a push subscription' }, 422);
    try {
      await shop.api.subscribe(shopper, { endpoint: parsed.data.endpoint, keys: parsed.data.keys });
    } catch (err) {
      // The push service's refusal (an endpoint it does not deliver to) is the script's to show, as JSON.
      if (!(err instanceof ServiceProblem) || err.status >= 500) throw err;
      return c.json({ title: err.title, detail: err.detail }, err.status as 401 | 409 | 422);
    }
    return c.body(null, 204);
  });
}
