import { serviceEnvSchema } from '@shop/config';

/** The inventory service's environment: the common service variables, on local port 3002. */
export const inventoryConfigSchema = serviceEnvSchema(3002);
export type InventoryConfig = ReturnType<typeof inventoryConfigSchema.parse>;
