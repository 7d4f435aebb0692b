import { serviceEnvSchema } from '@shop/config';

/** The customer service's environment: the common service variables, on local port 3006. */
export const customerConfigSchema = serviceEnvSchema(3006);
export type CustomerConfig = ReturnType<typeof customerConfigSchema.parse>;
