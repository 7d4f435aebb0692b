import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../db/catalog.queries';
import { allocate } from './reserve-stock';

const line = (product_sku: string, quantity: number) => ({ product_sku, quantity, unit_price_cents: 100 });
const SELLABLE: CatalogEntry = { active: true, deleted: false };

describe('allocate', () => {
  it('reserves a request whose every line fits the levels', () => {
    const levels = new Map([['A', 2], ['B', 1]]);
    expect(allocate({ items: [line('A', 2), line('B', 1)] }, levels, new Map())).toEqual({ status: 'reserved' });
  });

  it('rejects all of a request when one line does not fit, listing every line that does not', () => {
    const levels = new Map([['A', 2], ['B', 0], ['C', 1]]);
    expect(allocate({ items: [line('A', 1), line('B', 1), line('C', 3)] }, levels, new Map())).toEqual({
      status: 'rejected',
      reason: 'insufficient_stock',
      details: [
        { product_sku: 'B', requested: 1, available: 0 },
        { product_sku: 'C', requested: 3, available: 1 },
      ],
    });
  });

  it('names a SKU without stock, or deleted or inactive in the catalog, an unknown product (available 0), before any shortage', () => {
    const levels = new Map([['GONE', 5], ['OFF', 5], ['SHORT', 0]]);
    const catalog = new Map<string, CatalogEntry>([['GONE', { active: true, deleted: true }], ['OFF', { active: false, deleted: false }]]);
    const decision = allocate({ items: [line('NEVER', 1), line('GONE', 1), line('OFF', 1), line('SHORT', 1)] }, levels, catalog);
    expect(decision).toEqual({
      status: 'rejected',
      reason: 'unknown_product',
      details: [
        { product_sku: 'NEVER', requested: 1, available: 0 },
        { product_sku: 'GONE', requested: 1, available: 0 },
        { product_sku: 'OFF', requested: 1, available: 0 },
        { product_sku: 'SHORT', requested: 1, available: 0 },
      ],
    });
  });

  it('sells a SKU the catalog never mentioned as long as it has stock', () => {
    expect(allocate({ items: [line('QUIET', 1)] }, new Map([['QUIET', 1]]), new Map([['OTHER', SELLABLE]]))).toEqual({ status: 'reserved' });
  });

  // The property the batch rests on: requests decided one after another against the levels the earlier ones
  // left never take more than there was, take all of a request or none of it, and refuse only what cannot fit.
  it('never oversells a sequence of requests, all or nothing each, and refuses only requests that do not fit', () => {
    const skus = ['A', 'B', 'C', 'D'];
    const request = fc.uniqueArray(fc.record({ sku: fc.constantFrom(...skus), quantity: fc.integer({ min: 1, max: 5 }) }), {
      minLength: 1,
      maxLength: 3,
      selector: (l) => l.sku,
    });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: skus.length, maxLength: skus.length }),
        fc.array(request, { maxLength: 40 }),
        (initial, requests) => {
          const levels = new Map(skus.map((sku, i) => [sku, initial[i]!]));
          const start = new Map(levels);
          for (const lines of requests) {
            const items = lines.map((l) => line(l.sku, l.quantity));
            const fits = items.every((i) => i.quantity <= levels.get(i.product_sku)!);
            const decision = allocate({ items }, levels, new Map());
            expect(decision.status === 'reserved').toBe(fits);
            if (decision.status === 'reserved') for (const i of items) levels.set(i.product_sku, levels.get(i.product_sku)! - i.quantity);
            else expect(decision.details.map((d) => d.product_sku)).toEqual(items.filter((i) => i.quantity > levels.get(i.product_sku)!).map((i) => i.product_sku));
          }
          for (const sku of skus) {
            expect(levels.get(sku)!).toBeGreaterThanOrEqual(0);
            expect(levels.get(sku)!).toBeLessThanOrEqual(start.get(sku)!);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
