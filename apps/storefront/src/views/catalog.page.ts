import { html, type SafeHtml } from '@shop/http/web';
import type { Product } from '../shop-api';
import { alertBox, price, stockBadge } from './layout';

/** The catalog's filters as the shopper typed them (prices in currency units, e.g. `12.50`). */
export interface CatalogFilters {
  q: string;
  min: string;
  max: string;
  sort: string;
}

export const SORTS: [string, string][] = [
  ['name', 'Name'],
  ['price', 'Price: low to high'],
  ['-price', 'Price: high to low'],
  ['newest', 'Newest'],
];

/** A product's colour tile (no images in this shop): the same SKU always gets the same colour. */
function swatch(product: Product): SafeHtml {
  let hash = 0;
  for (const ch of product.sku) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const initials = product.name.split(/[\s,]+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join('');
  return html`<div class="swatch c${hash % 6}" aria-hidden="true">${initials}</div>`;
}

/** The add-to-cart form of a product (a plain form: it works without script). */
export function addToCartForm(product: Product, options: { from: string }): SafeHtml {
  const soldOut = product.available !== null && product.available <= 0;
  const id = `qty-${product.sku}`;
  return html`<form class="add" method="post" action="/cart/items">
<input type="hidden" name="sku" value="${product.sku}"><input type="hidden" name="from" value="${options.from}">
<div><label for="${id}">Quantity<span class="visually-hidden"> of ${product.name}</span></label>
<input class="qty" id="${id}" name="quantity" type="number" inputmode="numeric" min="1" max="99" value="1" required${soldOut ? html` disabled` : ''}></div>
<button type="submit"${soldOut ? html` disabled` : ''}>${soldOut ? 'Sold out' : 'Add to cart'}<span class="visually-hidden"> ${product.name}</span></button>
</form>`;
}

export function productCard(product: Product, from: string): SafeHtml {
  return html`<li class="card" data-sku="${product.sku}">${swatch(product)}
<h2><a href="/products/${encodeURIComponent(product.sku)}">${product.name}</a></h2>
<p class="desc">${product.description}</p>
<div class="row"><span class="price">${price(product.price_cents, product.currency)}</span> <span data-stock>${stockBadge(product.available)}</span></div>
${addToCartForm(product, { from })}</li>`;
}

export function catalogPage(options: { products: Product[]; filters: CatalogFilters; nextHref: string | null; error?: string | SafeHtml; from: string }): SafeHtml {
  const { filters } = options;
  return html`<h1>Catalog</h1>
<form class="panel filters" method="get" action="/" role="search" aria-label="Products">
<div class="wide"><label for="q">Search</label><input id="q" name="q" type="search" value="${filters.q}" placeholder="Hoodie, mug…"></div>
<div><label for="min">Min price</label><input id="min" name="min" inputmode="decimal" value="${filters.min}" placeholder="0.00"></div>
<div><label for="max">Max price</label><input id="max" name="max" inputmode="decimal" value="${filters.max}" placeholder="any"></div>
<div><label for="sort">Sort by</label><select id="sort" name="sort">${SORTS.map(
    ([value, label]) => html`<option value="${value}"${value === filters.sort ? html` selected` : ''}>${label}</option>`,
  )}</select></div>
<div><button type="submit">Show</button></div>
</form>
${options.error && alertBox('error', 'These filters do not work', options.error)}
${
  options.products.length
    ? html`<ul class="grid" aria-label="Products">${options.products.map((p) => productCard(p, options.from))}</ul>`
    : !options.error && html`<p class="panel">No product matches. <a href="/">Show everything</a>.</p>`
}
${options.nextHref && html`<p class="pager"><a class="button secondary" href="${options.nextHref}">More products</a></p>`}`;
}

export function productPage(product: Product): SafeHtml {
  return html`<p><a href="/">← Back to the catalog</a></p>
<article class="panel" data-sku="${product.sku}"><h1>${product.name}</h1>${swatch(product)}
<p>${product.description}</p>
<dl class="facts"><dt>Price</dt><dd class="price">${price(product.price_cents, product.currency)}</dd>
<dt>Availability</dt><dd data-stock>${stockBadge(product.available)}</dd><dt>Article</dt><dd>${product.sku}</dd></dl>
${addToCartForm(product, { from: `/products/${encodeURIComponent(product.sku)}` })}</article>`;
}
