import { z } from 'zod';
import { checkCartIdMatchesSource, OrderSource, StockRejectionReason, StockShortfallV1 } from './fields';

/** `stock.rejected` v1: inventory reserved nothing; `details` lists the lines that could not be served. */
export const StockRejectedV1 = z
  .object({
    request_id: z.uuid(),
    source: OrderSource,
    cart_id: z.uuid().nullable(),
    customer_id: z.uuid(),
    reason: StockRejectionReason,
    details: z.array(StockShortfallV1).min(1),
  })
  .superRefine(checkCartIdMatchesSource);
export type StockRejectedV1 = z.infer<typeof StockRejectedV1>;
