import { serviceEnvSchema } from '@shop/config';

/** The product service's environment: the common service variables, on local port 3001. */
export const productConfigSchema = serviceEnvSchema(3001);
export type ProductConfig = ReturnType<typeof productConfigSchema.parse>;
