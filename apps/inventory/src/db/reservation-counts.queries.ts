import type { PrismaClient } from '@shop/db';
import type { ReservationStatus } from './reservations.queries';

const STATUSES: readonly ReservationStatus[] = ['reserved', 'committed', 'released', 'expired', 'rejected'];

/** Reservations per status, every status present (0 when none): over reservations_status_idx, an index-only scan when vacuumed. */
export async function countReservationsByStatus(prisma: PrismaClient): Promise<Record<ReservationStatus, number>> {
  const rows = await prisma.$queryRaw<{ status: ReservationStatus; n: number }[]>`
    SELECT status, count(*)::int AS n FROM inventory.reservations GROUP BY status`;
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ReservationStatus, number>;
  for (const { status, n } of rows) counts[status] = n;
  return counts;
}
