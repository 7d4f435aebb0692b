import type { Hono } from 'hono';
import { ServiceProblem } from '../service-client';
import type { CatalogQuery } from '../shop-api';
import { catalogPage, productPage, SORTS, type CatalogFilters } from '../views/catalog.page';
import { problemMessage, render, type Storefront } from './web';

const AMOUNT = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/;

/** `12`, `12.5`, `12,50` → cents; empty → undefined; anything else → null (not a price). */
export function centsOf(text: string): number | undefined | null {
  if (!text.trim()) return undefined;
  const match = AMOUNT.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}

/** The catalog (search, price range, sort, remaining stock: `GET /products`'s own query) and product pages. */
export function registerCatalogRoutes(app: Hono, shop: Storefront): void {
  app.get('/', async (c) => {
    const raw = c.req.query();
    const filters: CatalogFilters = {
      q: raw['q']?.slice(0, 200) ?? '',
      min: raw['min'] ?? '',
      max: raw['max'] ?? '',
      sort: SORTS.some(([s]) => s === raw['sort']) ? raw['sort']! : 'name',
    };
    const min = centsOf(filters.min);
    const max = centsOf(filters.max);
    const from = new URL(c.req.url).pathname + new URL(c.req.url).search;
    if (min === null || max === null) {
      const error = 'A price is a number such as 20 or 19.99.';
      return render(c, shop, { title: 'Catalog', current: 'catalog', body: catalogPage({ products: [], filters, nextHref: null, error, from }) }, 422);
    }
    const query: CatalogQuery = { q: filters.q.trim() || undefined, min_price_cents: min, max_price_cents: max, sort: filters.sort, cursor: raw['cursor'] };
    try {
      const found = await shop.api.products(query);
      const next = new URLSearchParams(Object.entries({ q: filters.q, min: filters.min, max: filters.max, sort: filters.sort }).filter(([, v]) => v !== ''));
      if (found.next_cursor) next.set('cursor', found.next_cursor);
      const nextHref = found.next_cursor ? `/?${next}` : null;
      return render(c, shop, { title: 'Catalog', current: 'catalog', body: catalogPage({ products: found.items, filters, nextHref, from }) });
    } catch (err) {
      // A filter the product service refuses (a min above the max, a stale cursor): say so on the catalog.
      if (!(err instanceof ServiceProblem) || err.status !== 422) throw err;
      const body = catalogPage({ products: [], filters, nextHref: null, error: problemMessage(err), from });
      return render(c, shop, { title: 'Catalog', current: 'catalog', body }, 422);
    }
  });

  app.get('/products/:sku', async (c) => {
    const product = await shop.api.product(c.req.param('sku'));
    return render(c, shop, { title: product.name, current: 'catalog', body: productPage(product) });
  });
}
