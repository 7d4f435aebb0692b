import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The cart service's environment: the common service variables (local port 3005) and the event backbone's. */
export const cartConfigSchema = serviceEnvSchema(3005).and(eventsEnvSchema);
export type CartConfig = z.infer<typeof cartConfigSchema>;
