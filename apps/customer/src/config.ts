import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The customer service's environment: the common service variables (local port 3006) and the event backbone's. */
export const customerConfigSchema = serviceEnvSchema(3006).and(eventsEnvSchema);
export type CustomerConfig = z.infer<typeof customerConfigSchema>;
