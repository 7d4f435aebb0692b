import { z } from 'zod';
import { checkCartIdMatchesSource, CurrencyCode, OrderLinesV1, OrderSource, UtcTimestamp } from './fields';

/**
 * `order-requested` v1: a checkout attempt (published by cart, or by order for buy now). `request_id` is new
 * for every attempt; `cart_id` is null exactly when `source` is `buy-now`.
 */
export const OrderRequestedV1 = z
  .object({
    request_id: z.uuid(),
    source: OrderSource,
    cart_id: z.uuid().nullable(),
    customer_id: z.uuid(),
    items: OrderLinesV1,
    currency: CurrencyCode,
    requested_at: UtcTimestamp,
  })
  .superRefine(checkCartIdMatchesSource);
export type OrderRequestedV1 = z.infer<typeof OrderRequestedV1>;
