import { formatMoney } from '@shop/contracts';
import { html, type SafeHtml } from '@shop/http/web';
import { PAGE_SCRIPT, STYLESHEET, versionOf } from '../assets/assets';
import type { Shopper } from '../session';

export const STYLESHEET_PATH = `/assets/shop-${versionOf(STYLESHEET)}.css`;
export const SCRIPT_PATH = `/assets/shop-${versionOf(PAGE_SCRIPT)}.js`;

/**
 * Every page's headers: scripts and styles only from this origin (no inline script, so an injected tag could
 * not run), forms only to this origin, never framed; the page is the shopper's own, so never cached.
 */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: under it browsers send `Origin: null` with the site's own form posts.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export type Section = 'catalog' | 'cart' | 'orders' | 'notifications' | 'account';

export interface PageOptions {
  title: string;
  body: SafeHtml;
  shopper: Shopper | undefined;
  current?: Section;
  /** Without script, a page whose state will change on its own (a pending checkout) reloads itself. */
  refreshSeconds?: number;
}

const NAV: [Section, string, string][] = [
  ['catalog', '/', 'Catalog'],
  ['cart', '/cart', 'Cart'],
  ['orders', '/orders', 'Orders'],
  ['notifications', '/notifications', 'Notifications'],
];

/** A whole page: skip link, header with the navigation and who is shopping, the main content, the footer. */
export function page(options: PageOptions): string {
  const { shopper, current } = options;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Shop</title><link rel="stylesheet" href="${STYLESHEET_PATH}">${
    options.refreshSeconds && html`<noscript><meta http-equiv="refresh" content="${options.refreshSeconds}"></noscript>`
  }
<script src="${SCRIPT_PATH}" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="bar"><a class="brand" href="/">Shop</a>
<nav aria-label="Main"><ul>${NAV.map(
    ([section, href, label]) => html`<li><a href="${href}"${section === current ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
<div class="who">${
    shopper
      ? html`<span>Signed in as <strong>${shopper.name}</strong></span><form method="post" action="/sign-out"><button class="secondary" type="submit">Sign out</button></form>`
      : html`<a href="/sign-in"${current === 'account' ? html` aria-current="page"` : ''}>Sign in</a>`
  }</div></div></header>
<main id="main" tabindex="-1">${options.body}</main>
<footer class="site">A demo shop over the event-driven backend: every order is reserved all or nothing, and never oversold.</footer>
</body></html>`.value;
}

/** A price for people, from minor units and a currency (`€19.99`). */
export function price(cents: number, currency: string | null): string {
  return formatMoney(cents, currency);
}

/** What is left of a product, as a shopper reads it. */
export function stockBadge(available: number | null): SafeHtml {
  if (available === null) return html`<span class="stock unknown">Stock not known yet</span>`;
  if (available <= 0) return html`<span class="stock out">Sold out</span>`;
  if (available <= 5) return html`<span class="stock low">Only ${available} left</span>`;
  return html`<span class="stock">${available} in stock</span>`;
}

/** A readable message box; `role="alert"` for refusals so that screen readers announce them. */
export function alertBox(kind: 'error' | 'ok' | 'wait', title: string, message?: string | SafeHtml): SafeHtml {
  return html`<div class="alert ${kind}" ${kind === 'error' ? html`role="alert"` : html`role="status"`}><h2>${title}</h2>${message && html`<p>${message}</p>`}</div>`;
}

/** A date for people (UTC, minutes). */
export function when(iso: string): SafeHtml {
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** The short reference shoppers see for an order (the first block of its UUID), as the e-mails show it. */
export function orderRef(orderId: string): string {
  return orderId.slice(0, 8).toUpperCase();
}
