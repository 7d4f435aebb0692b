import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** A stock record. `version` grows on every change of `available` (stock.changed carries it). */
export interface StockRow {
  sku: string;
  available: number;
  reserved: number;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/** The levels of a locked stock row. */
export interface LockedStock {
  sku: string;
  available: number;
  reserved: number;
}

/** A SKU's new availability after a write, for its stock.changed. */
export interface StockChange {
  sku: string;
  available: number;
  version: number;
}

const ROW_COLUMNS = 'sku, available, reserved, version, created_at AS "createdAt", updated_at AS "updatedAt"';

/**
 * Locks the stock rows of `skus` for the rest of the transaction, ALWAYS in one fixed order (byte order of
 * the SKU, whatever the database's collation): every transaction that locks several SKUs goes through here
 * first, so two of them can wait for each other but never deadlock. SKUs without a record are left out.
 */
export function lockStock(tx: Tx, skus: readonly string[]): Promise<LockedStock[]> {
  if (skus.length === 0) return Promise.resolve([]);
  return tx.$queryRawUnsafe<LockedStock[]>(
    `SELECT sku, available, reserved FROM inventory.stock WHERE sku = ANY($1::text[]) ORDER BY sku COLLATE "C" FOR UPDATE`,
    [...skus],
  );
}

/**
 * Adds per-SKU deltas to `available` and `reserved` in one statement, and bumps `version` of every row whose
 * `available` moved. The rows MUST already be locked by `lockStock` (an UPDATE … FROM locks in join order,
 * not in the fixed order). The CHECK constraints refuse a negative level: a bug cannot oversell silently.
 * Returns the SKUs whose `available` moved, with their new level and version.
 */
export async function applyStockDeltas(tx: Tx, deltas: readonly { sku: string; available: number; reserved: number }[]): Promise<StockChange[]> {
  if (deltas.length === 0) return [];
  const rows = await tx.$queryRawUnsafe<{ sku: string; available: number; version: bigint; moved: boolean }[]>(
    `UPDATE inventory.stock s
     SET available = s.available + d.available,
         reserved = s.reserved + d.reserved,
         version = s.version + CASE WHEN d.available <> 0 THEN 1 ELSE 0 END,
         updated_at = now()
     FROM unnest($1::text[], $2::int[], $3::int[]) AS d(sku, available, reserved)
     WHERE s.sku = d.sku
     RETURNING s.sku, s.available, s.version, d.available <> 0 AS moved`,
    deltas.map((d) => d.sku),
    deltas.map((d) => d.available),
    deltas.map((d) => d.reserved),
  );
  return rows
    .filter((r) => r.moved)
    .map((r) => ({ sku: r.sku, available: r.available, version: Number(r.version) }))
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

export function findStock(db: Client, sku: string): Promise<StockRow | null> {
  return db.stock.findUnique({ where: { sku } });
}

/** In SKU order, keyset-paged on the SKU; fetches `limit + 1` to know if more follow. */
export function listStockRows(db: Client, options: { limit: number; afterSku?: string }): Promise<StockRow[]> {
  return db.stock.findMany({
    where: options.afterSku === undefined ? {} : { sku: { gt: options.afterSku } },
    orderBy: { sku: 'asc' },
    take: options.limit + 1,
  });
}

/**
 * Creates a SKU's stock record. Its version continues from the record deleted before it, if any, so
 * consumers that remember the old versions take the new stock; a SKU that has a record is a unique violation.
 */
export async function insertStock(tx: Tx, sku: string, available: number): Promise<StockRow> {
  const rows = await tx.$queryRawUnsafe<StockRow[]>(
    `WITH earlier AS (DELETE FROM inventory.deleted_stock WHERE sku = $1 RETURNING version)
     INSERT INTO inventory.stock (sku, available, version)
     SELECT $1, $2, COALESCE((SELECT version FROM earlier), 0) + 1
     RETURNING ${ROW_COLUMNS}`,
    sku,
    available,
  );
  return rows[0]!;
}

/** Sets `available` and bumps the version; `null` when the SKU has no record. */
export async function setStockAvailable(tx: Tx, sku: string, available: number): Promise<StockRow | null> {
  const rows = await tx.$queryRawUnsafe<StockRow[]>(
    `UPDATE inventory.stock SET available = $2, version = version + 1, updated_at = now() WHERE sku = $1 RETURNING ${ROW_COLUMNS}`,
    sku,
    available,
  );
  return rows[0] ?? null;
}

/**
 * Deletes a SKU's stock record and remembers its next version, which the stock.changed of the deletion
 * carries; `null` when there was no record.
 */
export async function deleteStockRow(tx: Tx, sku: string): Promise<{ version: number } | null> {
  const rows = await tx.$queryRawUnsafe<{ version: bigint }[]>(
    `WITH gone AS (DELETE FROM inventory.stock WHERE sku = $1 RETURNING sku, version)
     INSERT INTO inventory.deleted_stock (sku, version) SELECT sku, version + 1 FROM gone
     ON CONFLICT (sku) DO UPDATE SET version = EXCLUDED.version, deleted_at = now()
     RETURNING version`,
    sku,
  );
  return rows[0] ? { version: Number(rows[0].version) } : null;
}
