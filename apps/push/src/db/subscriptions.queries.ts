import { randomUUID } from 'node:crypto';
import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** A `push.subscriptions` row as Prisma returns it. */
export interface SubscriptionRow {
  subscriptionId: string;
  customerId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Saves a browser's subscription. The endpoint identifies the browser, so subscribing it again updates the
 * row in place (same id), and a second customer signing in on that browser takes it over. One statement, so
 * concurrent subscribes of one endpoint cannot both insert. Stamped with the clock, not the transaction's start,
 * so that under `lockCustomerSubscriptions` the newest row is the one subscribed last.
 */
export async function upsertSubscription(
  db: Client,
  input: { customerId: string; endpoint: string; p256dh: string; auth: string; expiresAt: Date | null },
): Promise<SubscriptionRow> {
  const rows = await db.$queryRaw<SubscriptionRow[]>`
    INSERT INTO push.subscriptions (subscription_id, customer_id, endpoint, p256dh, auth, expires_at, created_at, updated_at)
    VALUES (${randomUUID()}::uuid, ${input.customerId}::uuid, ${input.endpoint}, ${input.p256dh}, ${input.auth}, ${input.expiresAt},
      clock_timestamp(), clock_timestamp())
    ON CONFLICT (endpoint) DO UPDATE SET customer_id = EXCLUDED.customer_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
      expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at
    RETURNING subscription_id::text AS "subscriptionId", customer_id::text AS "customerId", endpoint, p256dh, auth,
      expires_at AS "expiresAt", created_at AS "createdAt", updated_at AS "updatedAt"`;
  return rows[0]!;
}

/**
 * Serializes the subscribes of one customer until the transaction ends (an advisory lock on the customer id), so
 * that counting and trimming their subscriptions sees every other subscribe of theirs committed.
 */
export async function lockCustomerSubscriptions(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`push.subscriptions/${customerId}`}::text, 0))`;
}

/**
 * Deletes the customer's least recently subscribed subscriptions beyond the newest `keep`, never `kept` (the one
 * just subscribed, whatever its timestamp). Returns the endpoints removed.
 */
export async function trimSubscriptions(tx: Tx, customerId: string, options: { keep: number; kept: string }): Promise<string[]> {
  const rows = await tx.$queryRaw<{ endpoint: string }[]>`
    DELETE FROM push.subscriptions
    WHERE customer_id = ${customerId}::uuid AND subscription_id <> ${options.kept}::uuid
      AND subscription_id NOT IN (
        SELECT subscription_id FROM push.subscriptions
        WHERE customer_id = ${customerId}::uuid AND subscription_id <> ${options.kept}::uuid
        ORDER BY updated_at DESC, created_at DESC
        LIMIT ${options.keep - 1})
    RETURNING endpoint`;
  return rows.map((r) => r.endpoint);
}

/** Deletes the customer's subscription of `endpoint`; false when the customer has none there. */
export async function deleteSubscription(db: Client, customerId: string, endpoint: string): Promise<boolean> {
  return (await db.pushSubscription.deleteMany({ where: { customerId, endpoint } })).count > 0;
}

export function subscriptionsOfCustomer(db: Client, customerId: string): Promise<SubscriptionRow[]> {
  return db.pushSubscription.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } });
}

/**
 * Removes a subscription its push service declared gone, unless it was subscribed again since we read it
 * (a newer `updated_at`): the browser's new keys deserve a try.
 */
export async function deleteGoneSubscription(db: Client, row: Pick<SubscriptionRow, 'endpoint' | 'updatedAt'>): Promise<void> {
  await db.pushSubscription.deleteMany({ where: { endpoint: row.endpoint, updatedAt: { lte: row.updatedAt } } });
}
