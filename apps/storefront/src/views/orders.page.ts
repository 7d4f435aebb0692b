import { html, type SafeHtml } from '@shop/http/web';
import type { Order } from '../shop-api';
import { orderRef, price, when } from './layout';

function badge(status: string): SafeHtml {
  return html`<span class="badge ${status}" data-order-status>${status}</span>`;
}

export function ordersPage(orders: Order[]): SafeHtml {
  if (!orders.length) return html`<h1>Your orders</h1><p class="panel">No orders yet. <a href="/">Browse the catalog</a>.</p>`;
  return html`<h1>Your orders</h1>
<div class="panel"><table><caption class="visually-hidden">Your orders, newest first</caption>
<thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Items</th><th scope="col" class="num">Total</th><th scope="col">Status</th></tr></thead>
<tbody>${orders.map(
    (o) => html`<tr data-order="${o.order_id}"><td><a href="/orders/${o.order_id}">${orderRef(o.order_id)}</a></td><td>${when(o.created_at)}</td>
<td>${o.items.map((i) => `${i.quantity} × ${i.name}`).join(', ')}</td><td class="num">${price(o.total_cents, o.currency)}</td><td>${badge(o.status)}</td></tr>`,
  )}</tbody></table></div>`;
}

function field(id: string, label: string, value: string | null | undefined, options: { required?: boolean; autocomplete: string; wide?: boolean }): SafeHtml {
  return html`<div${options.wide ? html` class="wide"` : ''}><label for="${id}">${label}${options.required ? '' : html` <span class="muted">(optional)</span>`}</label>
<input id="${id}" name="${id}" value="${value ?? ''}" autocomplete="${options.autocomplete}"${options.required ? html` required` : ''}></div>`;
}

export function orderPage(order: Order, options: { notice?: SafeHtml | undefined }): SafeHtml {
  const address = order.shipping_address;
  const open = order.status !== 'cancelled';
  return html`<p><a href="/orders">← All orders</a></p>
<h1>Order ${orderRef(order.order_id)} ${badge(order.status)}</h1>${options.notice}
<div class="panel"><dl class="facts"><dt>Placed</dt><dd>${when(order.created_at)}</dd>${order.cancelled_at && html`<dt>Cancelled</dt><dd>${when(order.cancelled_at)}</dd>`}
<dt>Order id</dt><dd>${order.order_id}</dd></dl></div>
<div class="panel"><table><caption class="visually-hidden">Items</caption><thead><tr><th scope="col">Product</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Price</th><th scope="col" class="num">Subtotal</th></tr></thead>
<tbody>${order.items.map(
    (i) => html`<tr><td>${i.name}</td><td class="num">${i.quantity}</td><td class="num">${price(i.unit_price_cents, order.currency)}</td><td class="num">${price(i.quantity * i.unit_price_cents, order.currency)}</td></tr>`,
  )}</tbody></table>
<p class="total">Total ${price(order.total_cents, order.currency)}</p></div>
<section class="panel" aria-labelledby="shipping"><h2 id="shipping">Shipping address</h2>${
    open
      ? html`<form method="post" action="/orders/${order.order_id}/shipping"><div class="form-grid">
${field('name', 'Full name', address?.name, { required: true, autocomplete: 'name', wide: true })}
${field('line1', 'Address', address?.line1, { required: true, autocomplete: 'address-line1', wide: true })}
${field('line2', 'Address line 2', address?.line2, { autocomplete: 'address-line2', wide: true })}
${field('city', 'City', address?.city, { required: true, autocomplete: 'address-level2' })}
${field('postal_code', 'Postal code', address?.postal_code, { required: true, autocomplete: 'postal-code' })}
${field('country', 'Country', address?.country, { required: true, autocomplete: 'country-name' })}
<div class="wide"><label for="note">Note for the delivery <span class="muted">(optional)</span></label><textarea id="note" name="note" rows="2">${order.note ?? ''}</textarea></div>
</div><p class="actions"><button type="submit">Save address</button></p></form>`
      : address
        ? html`<p>${address.name}<br>${address.line1}<br>${address.line2 && html`${address.line2}<br>`}${address.postal_code} ${address.city}<br>${address.country}</p>`
        : html`<p class="muted">None given.</p>`
  }</section>
${
  open &&
  html`<section class="panel" aria-labelledby="cancel"><h2 id="cancel">Cancel this order</h2><p>The items go back on sale at once.</p>
<form method="post" action="/orders/${order.order_id}/cancel"><button class="danger" type="submit">Cancel order</button></form></section>`
}`;
}
