import { createHash } from 'node:crypto';
import { html, type SafeHtml } from '@shop/http/web';
import type { Cart } from '../shop-api';
import { orderRef, price } from './layout';

const REASONS: Record<string, string> = {
  insufficient_stock: 'Not enough stock for everything in your cart, so nothing was reserved.',
  unknown_product: 'Something in your cart is no longer sold, so nothing was reserved.',
  reservation_expired: 'Your reservation ran out before the order was placed, so nothing was reserved.',
};

/** Where the checkout stands, the part of the cart that changes on its own (a live region). */
function checkoutStatus(cart: Cart): SafeHtml {
  switch (cart.status) {
    case 'pending':
      return html`<div class="alert wait" role="status"><h2 data-status-heading tabindex="-1"><span class="spinner" aria-hidden="true"></span>Checking stock…</h2>
<p>We are reserving every line of your cart, or none. This page updates by itself.</p></div>`;
    case 'ordered':
      return html`<div class="alert ok" role="status"><h2 data-status-heading tabindex="-1">Ordered — thank you!</h2>
<p>Everything was reserved and your order ${cart.order_id ? html`<a href="/orders/${cart.order_id}">${orderRef(cart.order_id)}</a>` : ''} is confirmed. A confirmation is on its way by e-mail.</p>
<p><a href="/">Continue shopping</a> (your next item starts a new cart).</p></div>`;
    case 'stock-unavailable': {
      const details = cart.rejection?.details ?? [];
      const names = new Map(cart.items.map((i) => [i.product_sku, i.name]));
      return html`<div class="alert error" role="alert"><h2 data-status-heading tabindex="-1">Not enough stock</h2>
<p>${REASONS[cart.rejection?.reason ?? ''] ?? 'Nothing was reserved.'} Change the quantities below and check out again.</p>
${
  details.length > 0 &&
  html`<table class="shortfall"><caption class="visually-hidden">What was short</caption><thead><tr><th scope="col">Product</th><th scope="col" class="num">You asked for</th><th scope="col" class="num">Available</th></tr></thead>
<tbody>${details.map(
    (d) => html`<tr data-short-sku="${d.product_sku}"><td>${names.get(d.product_sku) ?? d.product_sku}</td><td class="num" data-requested>${d.requested}</td><td class="num" data-available>${d.available}</td></tr>`,
  )}</tbody></table>`
}</div>`;
    }
    default:
      return html``;
  }
}

function lineRows(cart: Cart): SafeHtml {
  const editable = !cart.cart_locked;
  return html`${cart.items.map((line) => {
    const id = `qty-${line.product_sku}`;
    return html`<tr data-line="${line.product_sku}"><td><a href="/products/${encodeURIComponent(line.product_sku)}">${line.name}</a></td>
<td class="num">${price(line.unit_price_cents, cart.currency)}</td>
<td>${
      editable
        ? html`<form method="post" action="/cart/items/${encodeURIComponent(line.product_sku)}"><label class="visually-hidden" for="${id}">Quantity of ${line.name}</label>
<input id="${id}" name="quantity" type="number" inputmode="numeric" min="0" max="999" value="${line.quantity}" required><button class="secondary" type="submit">Update<span class="visually-hidden"> ${line.name}</span></button></form>`
        : html`<span data-quantity>${line.quantity}</span>`
    }</td>
<td class="num">${price(line.quantity * line.unit_price_cents, cart.currency)}</td>
<td>${
      editable &&
      html`<form method="post" action="/cart/items/${encodeURIComponent(line.product_sku)}/remove"><button class="danger" type="submit">Remove<span class="visually-hidden"> ${line.name}</span></button></form>`
    }</td></tr>`;
  })}`;
}

/**
 * The cart as it stands: status, lines, total, checkout. The page renders it, and so does the live relay of
 * the cart's events (routes/cart.routes.ts), so that script and no script see the same markup.
 */
export function cartSection(cart: Cart): SafeHtml {
  if (!cart.items.length) {
    return html`${checkoutStatus(cart)}<p class="panel">Your cart is empty. <a href="/">Find something in the catalog</a>.</p>`;
  }
  const canCheckOut = !cart.cart_locked;
  return html`${checkoutStatus(cart)}
<div class="panel"><table class="lines"><caption class="visually-hidden">Your cart</caption>
<thead><tr><th scope="col">Product</th><th scope="col" class="num">Price</th><th scope="col">Quantity</th><th scope="col" class="num">Subtotal</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
<tbody>${lineRows(cart)}</tbody></table>
<p class="total">Total <span data-total>${price(cart.total_cents, cart.currency)}</span></p>
<div class="actions">${
    canCheckOut
      ? html`<form method="post" action="/cart/checkout"><button type="submit">Check out</button></form>`
      : cart.status === 'pending' && html`<button type="button" disabled>Checking out…</button>`
  }</div></div>`;
}

/** The markup's fingerprint: the live script swaps the cart in only when what it shows has changed. */
export function cartKey(markup: SafeHtml): string {
  return createHash('sha256').update(markup.value).digest('base64url').slice(0, 16);
}

export function cartPage(cart: Cart, options: { error?: SafeHtml | undefined }): SafeHtml {
  const section = cartSection(cart);
  return html`<h1>Your cart</h1>${options.error}
<div data-live-cart data-status="${cart.status}" data-key="${cartKey(section)}">${section}</div>`;
}
