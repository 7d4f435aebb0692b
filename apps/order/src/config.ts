import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The order service's environment: the common service variables (local port 3000) and the event backbone's. */
export const orderConfigSchema = serviceEnvSchema(3000).and(eventsEnvSchema);
export type OrderConfig = z.infer<typeof orderConfigSchema>;
