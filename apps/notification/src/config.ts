import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The notification service's environment: the common service variables (local port 3003) and the event backbone's. */
export const notificationConfigSchema = serviceEnvSchema(3003).and(eventsEnvSchema);
export type NotificationConfig = z.infer<typeof notificationConfigSchema>;
