import { z } from 'zod';
import { checkCartIdMatchesSource, OrderSource, StockRejectionReason, StockShortfallV1 } from './fields';

/**
 * `stock.rejected` v1: inventory reserved nothing; `details` lists the lines that could not be served. Only
 * `reservation_expired` has none (every line was reserved once; the reservation ran out), and it always has none.
 */
export const StockRejectedV1 = z
  .object({
    request_id: z.uuid(),
    source: OrderSource,
    cart_id: z.uuid().nullable(),
    customer_id: z.uuid(),
    reason: StockRejectionReason,
    details: z.array(StockShortfallV1),
  })
  .superRefine(checkCartIdMatchesSource)
  .superRefine((payload, ctx) => {
    const expired = payload.reason === 'reservation_expired';
    if (!expired && payload.details.length === 0) {
      ctx.addIssue({ code: 'too_small', origin: 'array', minimum: 1, inclusive: true, path: ['details'], message: 'must list at least one line', input: payload.details });
    }
    if (expired && payload.details.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['details'], message: 'must be empty when reason is "reservation_expired"', input: payload.details });
    }
  });
export type StockRejectedV1 = z.infer<typeof StockRejectedV1>;
