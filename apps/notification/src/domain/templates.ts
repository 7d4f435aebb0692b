import { formatMoney } from '@shop/contracts';
import { html, type SafeHtml } from '@shop/http';

export interface OrderLine {
  product_sku: string;
  quantity: number;
  unit_price_cents: number;
}

/** Why inventory refused a checkout (the contract's `StockRejectionReason`). */
export type StockRejection = 'insufficient_stock' | 'unknown_product' | 'reservation_expired';

export interface Shortfall {
  product_sku: string;
  requested: number;
  available: number;
}

/**
 * What a notification is rendered from, stored with it (`details`) so it can be rendered again, e.g. with
 * the customer's name once `customer.upserted` arrives.
 */
export type TemplateInput =
  // cart_id (a cart checkout) or request_id (a buy-now): the checkout's correlation id; absent from notifications
  // stored before they were kept.
  | { type: 'order_confirmed'; order_id: string; cart_id?: string | null; request_id?: string | null; lines: OrderLine[]; total_cents: number; currency: string }
  | {
      type: 'order_cancelled';
      order_id: string;
      cart_id?: string | null;
      request_id?: string | null;
      lines: OrderLine[];
      total_cents: number;
      currency: string | null;
      reason: string;
    }
  | {
      type: 'stock_rejected';
      request_id: string;
      cart_id: string | null;
      source: 'cart' | 'buy-now';
      reason: StockRejection;
      lines: Shortfall[];
    }
  | { type: 'manual'; subject: string; text: string };

/** One notification rendered for both channels. */
export interface Rendered {
  email: { subject: string; text: string; html: string };
  push: { title: string; text: string; url?: string };
}

const PUSH_TEXT_MAX = 240;

/** Orders are referred to by the first block of their id, as people read it out on the phone. */
export function orderReference(orderId: string): string {
  return orderId.slice(0, 8).toUpperCase();
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

function greeting(name: string | null): string {
  return name ? `Hello ${name},` : 'Hello,';
}

function itemCount(lines: OrderLine[]): string {
  const units = lines.reduce((sum, l) => sum + l.quantity, 0);
  return `${units} ${units === 1 ? 'item' : 'items'}`;
}

function linesText(lines: OrderLine[], totalCents: number, currency: string | null, totalLabel: string): string {
  const rows = lines.map((l) => [
    `${l.quantity} × ${l.product_sku}`,
    `at ${formatMoney(l.unit_price_cents, currency)}`,
    formatMoney(l.quantity * l.unit_price_cents, currency),
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const body = rows.map((r) => `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}`);
  return [...body, `  ${totalLabel}: ${formatMoney(totalCents, currency)}`].join('\n');
}

const cell = 'padding:8px 12px;border-bottom:1px solid #e5e7eb;text-align:left';
const num = `${cell};text-align:right;white-space:nowrap`;

function linesTable(lines: OrderLine[], totalCents: number, currency: string | null, totalLabel: string): SafeHtml {
  return html`<table cellspacing="0" cellpadding="0" style="width:100%;border-collapse:collapse;margin:16px 0;font-size:14px">
<thead><tr><th style="${cell}">Item</th><th style="${num}">Qty</th><th style="${num}">Unit price</th><th style="${num}">Amount</th></tr></thead>
<tbody>${lines.map(
    (l) =>
      html`<tr><td style="${cell}">${l.product_sku}</td><td style="${num}">${l.quantity}</td><td style="${num}">${formatMoney(l.unit_price_cents, currency)}</td><td style="${num}">${formatMoney(l.quantity * l.unit_price_cents, currency)}</td></tr>`,
  )}</tbody>
<tfoot><tr><td colspan="3" style="${cell};font-weight:600">${totalLabel}</td><td style="${num};font-weight:600">${formatMoney(totalCents, currency)}</td></tr></tfoot>
</table>`;
}

function shortfallTable(lines: Shortfall[], reason: StockRejection): SafeHtml | '' {
  // An expired reservation lists no lines: everything was reserved once, and the hold ran out.
  if (lines.length === 0) return '';
  return html`<table cellspacing="0" cellpadding="0" style="width:100%;border-collapse:collapse;margin:16px 0;font-size:14px">
<thead><tr><th style="${cell}">Item</th><th style="${num}">Requested</th><th style="${num}">Available</th></tr></thead>
<tbody>${lines.map(
    (l) =>
      html`<tr><td style="${cell}">${l.product_sku}</td><td style="${num}">${l.requested}</td><td style="${num}">${reason === 'unknown_product' && l.available === 0 ? 'no longer sold' : l.available}</td></tr>`,
  )}</tbody>
</table>`;
}

function paragraphs(text: string): SafeHtml[] {
  return text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => html`<p style="margin:0 0 16px">${p.split('\n').map((line, i) => (i === 0 ? html`${line}` : html`<br>${line}`))}</p>`);
}

/** The shared e-mail layout: table-based with inline styles, as mail clients need. */
function layout(subject: string, content: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${subject}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;color:#111827;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:#f4f4f5"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellspacing="0" cellpadding="0" style="width:100%;max-width:600px;background:#ffffff;border-radius:8px;overflow:hidden">
<tr><td style="padding:20px 32px;background:#111827;color:#ffffff;font-size:18px;font-weight:600">Shop</td></tr>
<tr><td style="padding:28px 32px">${content}</td></tr>
<tr><td style="padding:16px 32px;background:#f9fafb;color:#6b7280;font-size:12px">You receive this e-mail because you have an account with Shop.</td></tr>
</table></td></tr></table>
</body></html>`.value;
}

function orderConfirmed(input: Extract<TemplateInput, { type: 'order_confirmed' }>, name: string | null): Rendered {
  const ref = orderReference(input.order_id);
  const subject = `Your order ${ref} is confirmed`;
  const total = formatMoney(input.total_cents, input.currency);
  const text = [
    greeting(name),
    '',
    `Thank you for your order ${ref}. We have reserved everything and are getting it ready.`,
    '',
    linesText(input.lines, input.total_cents, input.currency, 'Total'),
    '',
    `Order number: ${input.order_id}`,
  ].join('\n');
  const content = html`<h1 style="margin:0 0 16px;font-size:20px">Thank you for your order</h1>
<p style="margin:0 0 16px">${greeting(name)}</p>
<p style="margin:0 0 16px">Your order <strong>${ref}</strong> is confirmed. We have reserved everything and are getting it ready.</p>
${linesTable(input.lines, input.total_cents, input.currency, 'Total')}
<p style="margin:0;color:#6b7280;font-size:13px">Order number: ${input.order_id}</p>`;
  return {
    email: { subject, text, html: layout(subject, content) },
    push: { title: `Order ${ref} confirmed`, text: `${itemCount(input.lines)}, total ${total}. Thank you!`, url: `/orders/${input.order_id}` },
  };
}

function orderCancelled(input: Extract<TemplateInput, { type: 'order_cancelled' }>, name: string | null): Rendered {
  const ref = orderReference(input.order_id);
  const subject = `Your order ${ref} has been cancelled`;
  const text = [
    greeting(name),
    '',
    `Your order ${ref} has been cancelled.`,
    `Reason: ${input.reason}`,
    '',
    linesText(input.lines, input.total_cents, input.currency, 'Order total'),
    '',
    `Order number: ${input.order_id}`,
  ].join('\n');
  const content = html`<h1 style="margin:0 0 16px;font-size:20px">Your order has been cancelled</h1>
<p style="margin:0 0 16px">${greeting(name)}</p>
<p style="margin:0 0 16px">Your order <strong>${ref}</strong> has been cancelled.</p>
<p style="margin:0 0 16px"><strong>Reason:</strong> ${input.reason}</p>
${linesTable(input.lines, input.total_cents, input.currency, 'Order total')}
<p style="margin:0;color:#6b7280;font-size:13px">Order number: ${input.order_id}</p>`;
  return {
    email: { subject, text, html: layout(subject, content) },
    push: { title: `Order ${ref} cancelled`, text: truncate(`Reason: ${input.reason}`, PUSH_TEXT_MAX), url: `/orders/${input.order_id}` },
  };
}

function stockRejected(input: Extract<TemplateInput, { type: 'stock_rejected' }>, name: string | null): Rendered {
  const subject = 'We could not place your order';
  const why =
    input.reason === 'unknown_product'
      ? 'Some of the items you asked for are no longer sold.'
      : input.reason === 'reservation_expired'
        ? 'We held your items for a while, but the hold ran out before your order could be placed.'
        : 'Some of the items you asked for are not available in the quantity you wanted.';
  const next =
    input.source === 'cart'
      ? 'Nothing was reserved or charged. Your cart is open again: change it and check out again.'
      : 'Nothing was reserved or charged. You can try again with fewer items.';
  const lineText = input.lines.map((l) =>
    input.reason === 'unknown_product' && l.available === 0
      ? `  ${l.product_sku}: requested ${l.requested}, no longer sold`
      : `  ${l.product_sku}: requested ${l.requested}, available ${l.available}`,
  );
  const text = [greeting(name), '', why, '', ...(lineText.length ? [...lineText, ''] : []), next].join('\n');
  const content = html`<h1 style="margin:0 0 16px;font-size:20px">We could not place your order</h1>
<p style="margin:0 0 16px">${greeting(name)}</p>
<p style="margin:0 0 16px">${why}</p>
${shortfallTable(input.lines, input.reason)}
<p style="margin:0">${next}</p>`;
  const summary = input.lines.map((l) => `${l.product_sku} (${l.available} of ${l.requested})`).join(', ');
  return {
    email: { subject, text, html: layout(subject, content) },
    push: {
      title: subject,
      text: truncate(summary ? `Not available: ${summary}` : why, PUSH_TEXT_MAX),
      url: input.source === 'cart' ? '/cart' : `/orders/requests/${input.request_id}`,
    },
  };
}

function manual(input: Extract<TemplateInput, { type: 'manual' }>, name: string | null): Rendered {
  const text = [greeting(name), '', input.text].join('\n');
  const content = html`<p style="margin:0 0 16px">${greeting(name)}</p>${paragraphs(input.text)}`;
  return {
    email: { subject: input.subject, text, html: layout(input.subject, content) },
    push: { title: truncate(input.subject, 120), text: truncate(input.text, PUSH_TEXT_MAX) },
  };
}

/** Renders a notification from the template of its type. Every value from an event or a person is escaped. */
export function renderNotification(input: TemplateInput, recipient: { name: string | null }): Rendered {
  switch (input.type) {
    case 'order_confirmed':
      return orderConfirmed(input, recipient.name);
    case 'order_cancelled':
      return orderCancelled(input, recipient.name);
    case 'stock_rejected':
      return stockRejected(input, recipient.name);
    case 'manual':
      return manual(input, recipient.name);
  }
}
