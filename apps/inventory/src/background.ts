import type { Database } from '@shop/db';
import type { PublishFn } from '@shop/events';
import type { Logger, ServiceMetrics } from '@shop/observability';
import type { InventoryConfig } from './config';
import { startReservationSweeper } from './expiry/reservation-sweeper';
import { startReservationFollowUp } from './follow-up/reservation-follow-up';

/** Inventory's work driven by time alone: the reservation sweeper and the follow-up of its answers. Returns what stops both. */
export function startInventoryBackground(
  config: InventoryConfig,
  deps: { db: Database; databaseUrl: string; publish: PublishFn; logger: Logger; metrics?: ServiceMetrics },
): () => Promise<void> {
  const sweeper = startReservationSweeper(config, deps);
  const stopFollowUp = startReservationFollowUp(config, deps);
  return async () => {
    await Promise.all([sweeper.stop(), stopFollowUp()]);
  };
}
