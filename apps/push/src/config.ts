import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The push service's environment: the common service variables (local port 3007) and the event backbone's. */
export const pushConfigSchema = serviceEnvSchema(3007).and(eventsEnvSchema);
export type PushConfig = z.infer<typeof pushConfigSchema>;
