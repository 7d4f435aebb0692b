import { z } from 'zod';
import { checkCartIdMatchesSource, CurrencyCode, OrderLinesV1, OrderSource, UtcTimestamp } from './fields';

/**
 * `stock-available` v1: inventory reserved every line of a request under `reservation_id`, until
 * `expires_at`; the order service creates no order after it.
 */
export const StockAvailableV1 = z
  .object({
    request_id: z.uuid(),
    source: OrderSource,
    cart_id: z.uuid().nullable(),
    customer_id: z.uuid(),
    reservation_id: z.uuid(),
    items: OrderLinesV1,
    currency: CurrencyCode,
    // Inventory always sets it. Optional (the version stays 1) only so a message published before it
    // existed, still in flight during the deploy that added it, parses; such a reservation is treated as live.
    expires_at: UtcTimestamp.optional(),
  })
  .superRefine(checkCartIdMatchesSource);
export type StockAvailableV1 = z.infer<typeof StockAvailableV1>;
