import { serviceEnvSchema } from '@shop/config';

/** The cart service's environment: the common service variables, on local port 3005. */
export const cartConfigSchema = serviceEnvSchema(3005);
export type CartConfig = ReturnType<typeof cartConfigSchema.parse>;
