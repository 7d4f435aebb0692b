import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The product service's environment: the common service variables (local port 3001) and the event backbone's. */
export const productConfigSchema = serviceEnvSchema(3001).and(eventsEnvSchema);
export type ProductConfig = z.infer<typeof productConfigSchema>;
