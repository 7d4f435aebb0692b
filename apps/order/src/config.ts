import { checkoutRetryEnvSchema, serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The order service's environment: the common service variables (local port 3000), the event backbone's, and when a pending buy-now request is asked again. */
export const orderConfigSchema = serviceEnvSchema(3000).and(eventsEnvSchema).and(checkoutRetryEnvSchema);
export type OrderConfig = z.infer<typeof orderConfigSchema>;
