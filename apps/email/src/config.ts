import { serviceEnvSchema } from '@shop/config';

/** The email service's environment: the common service variables, on local port 3004. */
export const emailConfigSchema = serviceEnvSchema(3004);
export type EmailConfig = ReturnType<typeof emailConfigSchema.parse>;
