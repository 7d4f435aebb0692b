import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The email service's environment: the common service variables (local port 3004) and the event backbone's. */
export const emailConfigSchema = serviceEnvSchema(3004).and(eventsEnvSchema);
export type EmailConfig = z.infer<typeof emailConfigSchema>;
