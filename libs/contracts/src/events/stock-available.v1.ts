import { z } from 'zod';
import { checkCartIdMatchesSource, CurrencyCode, OrderLinesV1, OrderSource } from './fields';

/** `stock-available` v1: inventory reserved every line of a request under `reservation_id`. */
export const StockAvailableV1 = z
  .object({
    request_id: z.uuid(),
    source: OrderSource,
    cart_id: z.uuid().nullable(),
    customer_id: z.uuid(),
    reservation_id: z.uuid(),
    items: OrderLinesV1,
    currency: CurrencyCode,
  })
  .superRefine(checkCartIdMatchesSource);
export type StockAvailableV1 = z.infer<typeof StockAvailableV1>;
