import { serviceEnvSchema } from '@shop/config';

/** The push service's environment: the common service variables, on local port 3007. */
export const pushConfigSchema = serviceEnvSchema(3007);
export type PushConfig = ReturnType<typeof pushConfigSchema.parse>;
