import { serviceEnvSchema } from '@shop/config';

/** The notification service's environment: the common service variables, on local port 3003. */
export const notificationConfigSchema = serviceEnvSchema(3003);
export type NotificationConfig = ReturnType<typeof notificationConfigSchema.parse>;
