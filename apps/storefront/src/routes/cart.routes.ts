import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { html } from '@shop/http/web';
import { ServiceProblem } from '../service-client';
import type { Cart } from '../shop-api';
import type { Shopper } from '../session';
import { cartKey, cartPage, cartSection } from '../views/cart.page';
import { alertBox } from '../views/layout';
import { problemMessage, readForm, render, safeNext, shopperOf, signInHref, type Storefront } from './web';

const QUANTITY = /^\d{1,3}$/;
/** How soon a browser reconnects to the live cart after the stream ends (Cloud Run ends long requests). */
const RECONNECT_MS = 2_000;

async function cartView(c: Context, shop: Storefront, shopper: Shopper, status = 200, error?: ServiceProblem): Promise<Response> {
  const cart = await shop.api.cart(shopper);
  const notice = error && alertBox('error', error.status === 409 ? 'Your cart cannot change right now' : 'That did not work', problemMessage(error));
  // Without script the page reloads itself while the checkout is pending; with it, /cart/events updates it.
  return render(c, shop, { title: 'Cart', current: 'cart', body: cartPage(cart, { error: notice }), ...(cart.status === 'pending' ? { refreshSeconds: 2 } : {}) }, status);
}

/** A cart change; a refusal (409 locked, 422 unknown product or bad quantity) is shown on the cart page with its status. */
async function change(c: Context, shop: Storefront, shopper: Shopper, action: () => Promise<unknown>): Promise<Response> {
  try {
    await action();
  } catch (err) {
    if (err instanceof ServiceProblem && err.status !== 401 && err.status < 500) return cartView(c, shop, shopper, err.status, err);
    throw err;
  }
  return c.redirect('/cart', 303);
}

/** Sets a line to `quantity`: the cart API adds to a line or removes it, so a decrease is a removal and a new add. */
async function setQuantity(shop: Storefront, shopper: Shopper, sku: string, quantity: number): Promise<void> {
  const cart = await shop.api.cart(shopper);
  const current = cart.items.find((i) => i.product_sku === sku)?.quantity ?? 0;
  if (quantity === current) return;
  if (quantity > current) {
    await shop.api.addToCart(shopper, sku, quantity - current);
    return;
  }
  await shop.api.removeFromCart(shopper, sku);
  if (quantity > 0) await shop.api.addToCart(shopper, sku, quantity);
}

/**
 * One server-sent event's fields. The cart service writes `event`, `id`, `retry` and `data` lines, and comment
 * lines as heartbeats (WHATWG HTML, server-sent events).
 */
function parseEvent(block: string): { event?: string; data: string; comment: boolean } {
  let event: string | undefined;
  const data: string[] = [];
  let fields = 0;
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    fields++;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
  }
  return { ...(event !== undefined ? { event } : {}), data: data.join('\n'), comment: fields === 0 };
}

/** The cart: add, change, remove, check out (plain forms, 303 back to the cart), and its live relay. */
export function registerCartRoutes(app: Hono, shop: Storefront): void {
  app.get('/cart', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref('/cart'), 303);
    return cartView(c, shop, shopper);
  });

  app.post('/cart/items', async (c) => {
    const form = await readForm(c);
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref(safeNext(form?.['from'])), 303);
    const sku = form?.['sku'] ?? '';
    const quantity = form?.['quantity'] ?? '1';
    if (!sku || !QUANTITY.test(quantity) || Number(quantity) < 1) {
      const body = html`<h1>Your cart</h1>${alertBox('error', 'Please check what you entered', 'Choose a quantity of at least 1.')}<p><a href="/">Back to the catalog</a></p>`;
      return render(c, shop, { title: 'Cart', current: 'cart', body }, 422);
    }
    return change(c, shop, shopper, () => shop.api.addToCart(shopper, sku, Number(quantity)));
  });

  app.post('/cart/items/:sku', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref('/cart'), 303);
    const quantity = (await readForm(c))?.['quantity'] ?? '';
    if (!QUANTITY.test(quantity)) {
      return cartView(c, shop, shopper, 422, new ServiceProblem('cart', 422, 'Invalid quantity', 'A quantity is a whole number from 0 to 999.'));
    }
    return change(c, shop, shopper, () => setQuantity(shop, shopper, c.req.param('sku'), Number(quantity)));
  });

  app.post('/cart/items/:sku/remove', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref('/cart'), 303);
    return change(c, shop, shopper, () => shop.api.removeFromCart(shopper, c.req.param('sku')));
  });

  app.post('/cart/checkout', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.redirect(signInHref('/cart'), 303);
    return change(c, shop, shopper, () => shop.api.checkout(shopper));
  });

  /**
   * The cart's server-sent events, relayed for the browser with the shopper's identity (an EventSource can
   * send no headers of its own). Each `cart` event goes out as the cart rendered by the same code as the
   * page, `{status, key, html}`, so the script only swaps markup in and the page reads the same either way.
   */
  app.get('/cart/events', async (c) => {
    const shopper = shopperOf(c, shop);
    if (!shopper) return c.body(null, 401);
    const upstream = await shop.api.cartEvents(shopper, c.req.raw.signal);
    if (!upstream.ok || !upstream.body) {
      await upstream.body?.cancel();
      // 401: signed out meanwhile; 429: too many open streams. EventSource gives up on any non-200 answer.
      return c.body(null, upstream.status === 401 || upstream.status === 429 ? upstream.status : 502);
    }
    const reader = upstream.body.pipeThrough(new TextDecoderStream()).getReader();
    // The browser went away: let go of the cart's stream at once, or it would count against the shopper's
    // open streams at the cart service (CART_STREAMS_PER_CUSTOMER) until a heartbeat failed to arrive.
    const release = () => void reader.cancel().catch(() => undefined);
    c.req.raw.signal.addEventListener('abort', release, { once: true });
    // No onError for streamSSE: it would write the error's message to the browser.
    return streamSSE(c, async (stream) => {
      stream.onAbort(release);
      let buffer = '';
      let sent = 0;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          for (let end = buffer.search(/\r?\n\r?\n/); end >= 0; end = buffer.search(/\r?\n\r?\n/)) {
            const event = parseEvent(buffer.slice(0, end));
            buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
            if (event.comment) {
              await stream.write(': keep-alive\n\n');
              continue;
            }
            if (event.event !== 'cart') continue;
            const cart = JSON.parse(event.data) as Cart;
            const section = cartSection(cart);
            const data = JSON.stringify({ status: cart.status, key: cartKey(section), html: section.value });
            await stream.writeSSE({ event: 'cart', data, id: String(++sent), ...(sent === 1 ? { retry: RECONNECT_MS } : {}) });
          }
        }
      } catch (err) {
        // The cart service ended the stream, or the browser left: EventSource reconnects by itself.
        shop.logger.debug({ err: String(err) }, 'cart event relay ended');
      } finally {
        release();
      }
    });
  });
}
