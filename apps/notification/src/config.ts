import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import { z } from 'zod';

/** The notification service's own variables. */
const consoleEnvSchema = z.object({
  /** How long a support console session lasts, in seconds (default 8 hours). */
  CONSOLE_SESSION_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 60 * 60).default(8 * 60 * 60),
});

/** The notification service's environment: the common service variables (local port 3003), the event backbone's and the console's. */
export const notificationConfigSchema = serviceEnvSchema(3003).and(eventsEnvSchema).and(consoleEnvSchema);
export type NotificationConfig = z.infer<typeof notificationConfigSchema>;
