import type { PrismaClient, Tx } from '@shop/db';
import type { Channel } from '../domain/notification';

type Client = PrismaClient | Tx;

export type DeliveryKind = 'requested' | 'delivered' | 'failed';

/** One entry of a notification's delivery history. */
export interface DeliveryRow {
  id: bigint;
  notificationId: string;
  channel: string;
  outcome: string;
  attempt: number | null;
  error: string | null;
  eventId: string;
  occurredAt: Date;
  recordedAt: Date;
}

/** Records one history entry unless its event was recorded already; true when it was new. */
export async function insertDelivery(
  tx: Tx,
  row: { notificationId: string; channel: Channel; outcome: DeliveryKind; attempt: number | null; error: string | null; eventId: string; occurredAt: Date },
): Promise<boolean> {
  const { count } = await tx.notificationDelivery.createMany({ data: [row], skipDuplicates: true });
  return count === 1;
}

/** A notification's history, oldest first. */
export function listDeliveries(db: Client, notificationId: string): Promise<DeliveryRow[]> {
  return db.notificationDelivery.findMany({ where: { notificationId }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });
}

/** Outcomes already reported for a notification on a channel, in the order they happened. */
export function recordedOutcomes(tx: Tx, notificationId: string, channel: Channel): Promise<DeliveryRow[]> {
  return tx.notificationDelivery.findMany({
    where: { notificationId, channel, outcome: { in: ['delivered', 'failed'] } },
    orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
  });
}
