import { inTransaction, type Database } from '@shop/db';
import { startDueWorkLoop, type DueWorkLoop, type PublishFn } from '@shop/events';
import type { Logger, ServiceMetrics } from '@shop/observability';
import type { ReservationSettings } from '../config';
import { nextExpiryInMs } from '../db/expiry.queries';
import { expireReservations, type ExpirySettings } from '../domain/expire-reservations';

/** Reservations expired per transaction. */
export const EXPIRY_BATCH_SIZE = 100;

/** NOTIFY on this channel makes the sweeper look at once (an operator, a test); it also looks when the next reservation falls due. */
export const EXPIRY_CHANNEL = 'inventory_reservation_expiry';

/** The sweeper's settings from the service's configuration. */
export function expirySettingsOf(config: ReservationSettings, batchSize = EXPIRY_BATCH_SIZE): ExpirySettings {
  return { graceSeconds: config.RESERVATION_EXPIRY_GRACE_SECONDS, batchSize };
}

/** One batch in a transaction of its own; resolves with how many reservations it expired. */
export function sweepOnce(deps: { db: Database; publish: PublishFn }, settings: ExpirySettings): Promise<number> {
  return inTransaction(deps.db.prisma, (tx) => expireReservations(tx, deps.publish, settings));
}

/**
 * Inventory's reservation sweeper: a due-work loop that expires reservations batch after batch while any is
 * due, then sleeps until the earliest open one falls due (one index probe: cheap when idle). A reservation
 * made while it sleeps falls due a whole TTL plus grace later, so it never sleeps longer than that.
 */
export function startReservationSweeper(
  config: ReservationSettings,
  deps: { db: Database; databaseUrl: string; publish: PublishFn; logger: Logger; metrics?: ServiceMetrics; batchSize?: number },
): DueWorkLoop {
  const settings = expirySettingsOf(config, deps.batchSize);
  // Shown from the start (0), so that a rate over it is defined before the first expiry.
  deps.metrics?.reservationsExpired(0);
  return startDueWorkLoop({
    name: 'reservation-sweeper',
    databaseUrl: deps.databaseUrl,
    channel: EXPIRY_CHANNEL,
    async runDue() {
      const expired = await sweepOnce(deps, settings);
      // Counted once its transaction committed: the batch is expired for good.
      deps.metrics?.reservationsExpired(expired);
      if (expired > 0) deps.logger.info({ expired }, 'expired reservations past their grace period; their units are available again');
      return expired;
    },
    nextDueInMs: () => nextExpiryInMs(deps.db.prisma, settings.graceSeconds),
    // Capped at the due-work loops' 30 s safety net (a row changed by hand). It was 5 s: a transaction of
    // three statements every 5 s was most of what the idle inventory service and its backend spent.
    pollIntervalMs: Math.min(30_000, (config.RESERVATION_TTL_SECONDS + config.RESERVATION_EXPIRY_GRACE_SECONDS) * 1_000),
    logger: deps.logger,
  });
}
