import { checkoutRetryEnvSchema, serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import { z } from 'zod';
import { DEFAULT_STREAM_LIMITS } from './db/cart-changes';

/** Open `GET /cart/events` streams: see `StreamLimits` for how the instance's limit relates to Cloud Run's concurrency. */
const cartEnv = z.object({
  CART_STREAMS_PER_CUSTOMER: z.coerce.number().int().min(1).max(100).default(DEFAULT_STREAM_LIMITS.perCustomer),
  CART_STREAMS_PER_INSTANCE: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_STREAM_LIMITS.perInstance),
});

/**
 * The cart service's environment: the common service variables (local port 3005), the event backbone's, its
 * streams', and when a pending checkout is asked again.
 */
export const cartConfigSchema = serviceEnvSchema(3005).and(eventsEnvSchema).and(cartEnv).and(checkoutRetryEnvSchema);
export type CartConfig = z.infer<typeof cartConfigSchema>;
