import type { Hono } from 'hono';
import { ServiceProblem } from '../service-client';
import { alertBox } from '../views/layout';
import { orderPage, ordersPage } from '../views/orders.page';
import { problemMessage, readForm, render, shopperOf, signInHref, type Storefront } from './web';

const NOTICES: Record<string, [string, string]> = {
  saved: ['Address saved', 'We ship to this address.'],
  cancelled: ['Order cancelled', 'The items are back on sale, and a confirmation is on its way by e-mail.'],
};

/** The shopper's orders: list, detail, cancel, shipping address (plain forms, 303 back to the order). */
export function registerOrderRoutes(app: Hono, shop: Storefront): void {
  app.get('/orders', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref('/orders'), 303);
    const { items } = await shop.api.orders(shopper);
    return render(c, shop, { title: 'Orders', current: 'orders', body: ordersPage(items) });
  });

  app.get('/orders/:id', async (c) => {
    const id = c.req.param('id');
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref(`/orders/${encodeURIComponent(id)}`), 303);
    const order = await shop.api.order(shopper, id);
    const notice = NOTICES[c.req.query('done') ?? ''];
    return render(c, shop, { title: 'Order', current: 'orders', body: orderPage(order, { notice: notice && alertBox('ok', ...notice) }) });
  });

  app.post('/orders/:id/cancel', async (c) => {
    const id = c.req.param('id');
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref(`/orders/${encodeURIComponent(id)}`), 303);
    await shop.api.cancelOrder(shopper, id);
    return c.redirect(`/orders/${encodeURIComponent(id)}?done=cancelled`, 303);
  });

  app.post('/orders/:id/shipping', async (c) => {
    const id = c.req.param('id');
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref(`/orders/${encodeURIComponent(id)}`), 303);
    const form = (await readForm(c)) ?? {};
    const text = (name: string) => (form[name] ?? '').trim();
    const body = {
      shipping_address: { name: text('name'), line1: text('line1'), line2: text('line2') || null, city: text('city'), postal_code: text('postal_code'), country: text('country') },
      note: text('note') || null,
    };
    try {
      await shop.api.updateOrder(shopper, id, body);
    } catch (err) {
      // 422 (a missing field) or 409 (cancelled meanwhile): the order page again, with what was wrong.
      if (!(err instanceof ServiceProblem) || (err.status !== 422 && err.status !== 409)) throw err;
      const order = await shop.api.order(shopper, id);
      const notice = alertBox('error', err.status === 409 ? 'This order can no longer change' : 'Please check the address', problemMessage(err));
      return render(c, shop, { title: 'Order', current: 'orders', body: orderPage(order, { notice }) }, err.status);
    }
    return c.redirect(`/orders/${encodeURIComponent(id)}?done=saved`, 303);
  });
}
