import type { Tx } from '@shop/db';

/**
 * Stores a SKU's availability unless a version at least as new is already stored: `stock.changed` may be
 * redelivered or arrive out of order, and an older figure must never replace a newer one. The row lock that
 * `ON CONFLICT DO UPDATE` takes makes two concurrent versions settle on the higher. True when stored.
 */
export async function upsertAvailability(tx: Tx, change: { sku: string; available: number; version: number }): Promise<boolean> {
  const stored = await tx.$executeRawUnsafe(
    `INSERT INTO product.availability (sku, available, version, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (sku) DO UPDATE SET available = EXCLUDED.available, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
     WHERE product.availability.version < EXCLUDED.version`,
    change.sku,
    change.available,
    change.version,
  );
  return stored > 0;
}
