import { z } from 'zod';
import { AmountCents, Quantity, Sku, StoredUnits } from '../fields';

export { AmountCents, CurrencyCode, Quantity, Sku, UtcTimestamp } from '../fields';

/** Where a checkout came from: a cart, or the order service's buy-now endpoint. */
export const OrderSource = z.enum(['cart', 'buy-now']);
export type OrderSource = z.infer<typeof OrderSource>;

/**
 * Why inventory refused a whole request. `reservation_expired`: the request was reserved once, but asked
 * again after its reservation had expired (DESIGN.md, "Recovery"); nothing is held for it any more.
 */
export const StockRejectionReason = z.enum(['insufficient_stock', 'unknown_product', 'reservation_expired']);
export type StockRejectionReason = z.infer<typeof StockRejectionReason>;

/** One line of a checkout, a reservation or an order. */
export const OrderLineV1 = z.object({
  product_sku: Sku,
  quantity: Quantity,
  unit_price_cents: AmountCents,
});
export type OrderLineV1 = z.infer<typeof OrderLineV1>;

/**
 * The lines of a request: at least one, each SKU once. Inventory reserves per SKU, all or nothing; a SKU
 * listed twice would be checked against the same stock twice.
 */
export const OrderLinesV1 = z
  .array(OrderLineV1)
  .min(1)
  .superRefine((lines, ctx) => {
    const seen = new Set<string>();
    lines.forEach((line, index) => {
      if (seen.has(line.product_sku)) {
        ctx.addIssue({ code: 'custom', path: [index, 'product_sku'], message: `duplicate line for SKU "${line.product_sku}"`, input: line.product_sku });
      }
      seen.add(line.product_sku);
    });
  });

/** One line that could not be reserved; `available` is 0 for an unknown product. */
export const StockShortfallV1 = z.object({
  product_sku: Sku,
  requested: Quantity,
  available: StoredUnits,
});
export type StockShortfallV1 = z.infer<typeof StockShortfallV1>;

/**
 * DESIGN.md: `cart_id` is null for buy now. A cart checkout without its cart, or a buy-now request that
 * names one, would send the outcome to the wrong place, so both are refused.
 */
export function checkCartIdMatchesSource(payload: { source: OrderSource; cart_id: string | null }, ctx: z.RefinementCtx): void {
  if (payload.source === 'cart' && payload.cart_id === null) {
    ctx.addIssue({ code: 'custom', path: ['cart_id'], message: 'is required when source is "cart"', input: payload.cart_id });
  }
  if (payload.source === 'buy-now' && payload.cart_id !== null) {
    ctx.addIssue({ code: 'custom', path: ['cart_id'], message: 'must be null when source is "buy-now"', input: payload.cart_id });
  }
}
