import { z } from 'zod';
import { StorableString } from '../fields';
import { OrderLinesV1, UtcTimestamp } from './fields';

/**
 * `order.cancelled` v1: inventory returns `reservation_id`'s stock once, however often this arrives.
 * `cart_id` is null for a buy-now order; `reason` is free text for people, not a code to branch on.
 */
export const OrderCancelledV1 = z.object({
  order_id: z.uuid(),
  cart_id: z.uuid().nullable(),
  customer_id: z.uuid(),
  reservation_id: z.uuid(),
  items: OrderLinesV1,
  reason: StorableString.min(1),
  cancelled_at: UtcTimestamp,
});
export type OrderCancelledV1 = z.infer<typeof OrderCancelledV1>;
