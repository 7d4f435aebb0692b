import { z } from 'zod';
import { OrderLinesV1, UtcTimestamp } from './fields';

/**
 * `reservation.expired` v1: an order was created for a reservation that had already expired, and its units
 * were sold meanwhile; the order service cancels `order_id` (DESIGN.md, "Recovery: nothing stays stuck").
 */
export const ReservationExpiredV1 = z.object({
  reservation_id: z.uuid(),
  request_id: z.uuid(),
  order_id: z.uuid(),
  customer_id: z.uuid(),
  items: OrderLinesV1,
  expired_at: UtcTimestamp,
});
export type ReservationExpiredV1 = z.infer<typeof ReservationExpiredV1>;
