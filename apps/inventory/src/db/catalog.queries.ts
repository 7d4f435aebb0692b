import type { Tx } from '@shop/db';

/** What inventory knows of a SKU from the catalog's events. */
export interface CatalogEntry {
  active: boolean;
  deleted: boolean;
}

export async function findCatalogEntries(tx: Tx, skus: readonly string[]): Promise<Map<string, CatalogEntry>> {
  if (skus.length === 0) return new Map();
  const rows = await tx.$queryRawUnsafe<({ sku: string } & CatalogEntry)[]>(
    'SELECT sku, active, deleted FROM inventory.catalog WHERE sku = ANY($1::text[])',
    [...skus],
  );
  return new Map(rows.map((r) => [r.sku, { active: r.active, deleted: r.deleted }]));
}

/**
 * Records a catalog event unless a later one is already recorded: `updated_at` holds the `occurred_at` of
 * the event it came from, so a stale product.upserted arriving after product.deleted cannot revive a SKU.
 * True when recorded.
 */
export async function upsertCatalogEntry(tx: Tx, entry: { sku: string; active: boolean; deleted: boolean; occurredAt: string }): Promise<boolean> {
  const stored = await tx.$executeRawUnsafe(
    `INSERT INTO inventory.catalog (sku, active, deleted, updated_at) VALUES ($1, $2, $3, $4::timestamptz)
     ON CONFLICT (sku) DO UPDATE SET active = EXCLUDED.active, deleted = EXCLUDED.deleted, updated_at = EXCLUDED.updated_at
     WHERE inventory.catalog.updated_at <= EXCLUDED.updated_at`,
    entry.sku,
    entry.active,
    entry.deleted,
    entry.occurredAt,
  );
  return stored > 0;
}
