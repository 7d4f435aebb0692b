import { z } from 'zod';
import { AmountCents, checkCartIdMatchesSource, CurrencyCode, OrderLinesV1, OrderSource, UtcTimestamp } from './fields';

/** `order.created` v1: the order service turned a reservation into an order; `status` is the order's. */
export const OrderCreatedV1 = z
  .object({
    order_id: z.uuid(),
    request_id: z.uuid(),
    source: OrderSource,
    cart_id: z.uuid().nullable(),
    customer_id: z.uuid(),
    reservation_id: z.uuid(),
    items: OrderLinesV1,
    total_cents: AmountCents,
    currency: CurrencyCode,
    status: z.literal('confirmed'),
    created_at: UtcTimestamp,
  })
  .superRefine(checkCartIdMatchesSource);
export type OrderCreatedV1 = z.infer<typeof OrderCreatedV1>;
