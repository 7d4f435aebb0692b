import { z } from 'zod';
import { AmountCents, CurrencyCode, LineQuantity, MAX_LINE_QUANTITY, Sku, StockRejectionReason, StockShortfallV1, text } from '@shop/contracts';
import type { BuyNowRequestRow } from '../db/buy-now.queries';
import type { OrderRow } from '../db/orders.queries';

export const ORDER_STATUSES = ['confirmed', 'cancelled'] as const;
export const REQUEST_STATUSES = ['pending', 'confirmed', 'rejected'] as const;

/** The most units of one SKU a buy-now line may ask for (as a cart line); DESIGN.md sets no limit. */
export { MAX_LINE_QUANTITY };
/** The most lines one buy-now request may have. */
export const MAX_LINES = 100;
/** Orders store `total_cents` as a 32-bit integer. */
export const MAX_TOTAL_CENTS = 2_147_483_647;

export const ShippingAddress = z.strictObject({
  name: text(200),
  line1: text(200),
  line2: text(200, 0).nullish().transform((v) => (v ? v : null)),
  city: text(100),
  postal_code: text(20),
  // As the customer wrote it ("DE", "Germany"): DESIGN.md prescribes no code list, and a carrier reads it as text.
  country: text(100),
});
export type ShippingAddress = z.infer<typeof ShippingAddress>;

/** `PUT /orders/:id`: the fields given are replaced (null clears one), the others kept. */
export const UpdateOrderBody = z
  .strictObject({
    shipping_address: ShippingAddress.nullable().optional(),
    note: text(1_000, 0).nullable().optional(),
  })
  .refine((b) => b.shipping_address !== undefined || b.note !== undefined, { error: 'shipping_address or note is required' });
export type UpdateOrderBody = z.infer<typeof UpdateOrderBody>;

const BuyNowLine = z.strictObject({
  product_sku: Sku,
  quantity: LineQuantity,
});

/** `POST /orders`: buy now, without a cart. Each SKU once (inventory reserves per SKU). */
export const BuyNowBody = z.strictObject({
  items: z
    .array(BuyNowLine)
    .min(1, 'at least one item is required')
    .max(MAX_LINES, `at most ${MAX_LINES} items`)
    .superRefine((lines, ctx) => {
      const seen = new Set<string>();
      lines.forEach((line, index) => {
        if (seen.has(line.product_sku)) ctx.addIssue({ code: 'custom', path: [index, 'product_sku'], message: 'listed twice; give one line per SKU' });
        seen.add(line.product_sku);
      });
    }),
});
export type BuyNowBody = z.infer<typeof BuyNowBody>;

export const OrderItem = z.object({ product_sku: z.string(), name: z.string(), quantity: z.int(), unit_price_cents: AmountCents });
export type OrderItem = z.infer<typeof OrderItem>;

export const Rejection = z.object({ reason: StockRejectionReason, details: z.array(StockShortfallV1) });
export type Rejection = z.infer<typeof Rejection>;

export const OrderResource = z.object({
  order_id: z.uuid(),
  request_id: z.uuid(),
  customer_id: z.uuid(),
  cart_id: z.uuid().nullable(),
  status: z.enum(ORDER_STATUSES),
  items: z.array(OrderItem),
  total_cents: AmountCents,
  currency: CurrencyCode,
  shipping_address: ShippingAddress.nullable(),
  note: z.string().nullable(),
  created_at: z.iso.datetime(),
  cancelled_at: z.iso.datetime().nullable(),
});
export type OrderResource = z.infer<typeof OrderResource>;

export const OrderPage = z.object({ items: z.array(OrderResource), next_cursor: z.string().nullable() });

export const BuyNowAccepted = z.object({ request_id: z.uuid(), status: z.literal('pending') });

export const BuyNowRequestResource = z.object({
  request_id: z.uuid(),
  customer_id: z.uuid(),
  status: z.enum(REQUEST_STATUSES),
  order_id: z.uuid().nullable(),
  rejection: Rejection.nullable(),
  items: z.array(OrderItem),
  total_cents: AmountCents,
  currency: CurrencyCode,
  created_at: z.iso.datetime(),
});
export type BuyNowRequestResource = z.infer<typeof BuyNowRequestResource>;

/** Σ quantity × unit price, in minor units. */
export function totalOf(items: readonly { quantity: number; unit_price_cents: number }[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unit_price_cents, 0);
}

/** Maps a row to the wire shape, once, at the edge. */
export function toOrderResource(row: OrderRow): OrderResource {
  return {
    order_id: row.orderId,
    request_id: row.requestId,
    customer_id: row.customerId,
    cart_id: row.cartId,
    status: row.status as OrderResource['status'],
    items: row.lines.map((l) => ({ product_sku: l.productSku, name: l.name, quantity: l.quantity, unit_price_cents: l.unitPriceCents })),
    total_cents: row.totalCents,
    currency: row.currency,
    shipping_address: row.shippingAddress === null ? null : ShippingAddress.parse(row.shippingAddress),
    note: row.note,
    created_at: row.createdAt.toISOString(),
    cancelled_at: row.cancelledAt?.toISOString() ?? null,
  };
}

export function toBuyNowRequestResource(row: BuyNowRequestRow): BuyNowRequestResource {
  const items = z.array(OrderItem).parse(row.items);
  return {
    request_id: row.requestId,
    customer_id: row.customerId,
    status: row.status as BuyNowRequestResource['status'],
    order_id: row.orderId,
    rejection: row.rejection === null ? null : Rejection.parse(row.rejection),
    items,
    total_cents: totalOf(items),
    currency: row.currency,
    created_at: row.createdAt.toISOString(),
  };
}
