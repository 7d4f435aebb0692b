import { serviceEnvSchema } from '@shop/config';

/** The order service's environment: the common service variables, on local port 3000. */
export const orderConfigSchema = serviceEnvSchema(3000);
export type OrderConfig = ReturnType<typeof orderConfigSchema.parse>;
