import { checkoutRetryEnvSchema, serviceEnvSchema } from '@shop/config';
import { eventsEnvSchema } from '@shop/events';
import { z } from 'zod';

const seconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** How long reservations hold their units (DESIGN.md, "Recovery: nothing stays stuck"). */
export const reservationEnv = z.object({
  /** A reservation's lifetime: `expires_at` is this long after it was made. */
  RESERVATION_TTL_SECONDS: seconds(1, 86_400).default(900),
  /** How long after `expires_at` the sweeper waits, so an order created just in time can still reach inventory. */
  RESERVATION_EXPIRY_GRACE_SECONDS: seconds(0, 86_400).default(30),
});
export type ReservationSettings = z.infer<typeof reservationEnv>;

/**
 * The inventory service's environment: the common service variables (local port 3002), the event backbone's,
 * the reservations', and when an answer that heard nothing back is published again.
 */
export const inventoryConfigSchema = serviceEnvSchema(3002).and(eventsEnvSchema).and(reservationEnv).and(checkoutRetryEnvSchema);
export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
