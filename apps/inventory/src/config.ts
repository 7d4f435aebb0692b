import { serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import type { z } from 'zod';

/** The inventory service's environment: the common service variables (local port 3002) and the event backbone's. */
export const inventoryConfigSchema = serviceEnvSchema(3002).and(eventsEnvSchema);
export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
