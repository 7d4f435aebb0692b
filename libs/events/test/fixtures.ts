import { randomUUID } from 'node:crypto';
import { buildEnvelope, type PayloadOf } from '@shop/contracts';
import type { Database } from '@shop/db';
import { defineHandler, type IncomingMessage } from '../src';

/** A table the test handler writes its effects into, so tests can count them. */
export async function createEffectsTable(db: Database): Promise<void> {
  await db.pool.query(`CREATE TABLE IF NOT EXISTS product.test_effects (
    seq bigserial PRIMARY KEY, event_id uuid NOT NULL, sku text NOT NULL, version int NOT NULL)`);
}

export async function effects(db: Database): Promise<{ event_id: string; sku: string; version: number }[]> {
  const { rows } = await db.pool.query('SELECT event_id::text, sku, version FROM product.test_effects ORDER BY seq');
  return rows;
}

/** Handles `stock.changed` for the product service, failing for SKUs in `poison` (while they are there). */
export function stockChangedHandler(poison: Set<string> = new Set(), options: { batch?: boolean } = {}) {
  const write = async (tx: Parameters<Parameters<typeof defineHandler>[0]['handle']>[0], p: PayloadOf<'stock.changed'>, eventId: string) => {
    if (poison.has(p.sku)) throw new Error(`poison ${p.sku}`);
    await tx.$executeRawUnsafe('INSERT INTO product.test_effects (event_id, sku, version) VALUES ($1::uuid, $2, $3)', eventId, p.sku, p.version);
  };
  return defineHandler<'stock.changed'>({
    topic: 'stock.changed',
    handle: (tx, event) => write(tx, event.payload, event.attributes.event_id),
    ...(options.batch
      ? {
          handleBatch: async (tx, events) => {
            for (const e of events) await write(tx, e.payload, e.attributes.event_id);
          },
        }
      : {}),
  });
}

/** A wire message for `stock.changed`, as a transport would deliver it. */
export function stockChangedMessage(sku: string, version: number, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const envelope = buildEnvelope('stock.changed', { sku, available: version, version }, { producer: 'inventory', correlationId: sku, eventId: randomUUID() });
  return { attributes: { ...envelope.attributes }, data: JSON.stringify(envelope.payload), deliveryAttempt: 1, ...overrides };
}

export const PRODUCT_STOCK_CHANGED = {
  name: 'product.stock.changed',
  topic: 'stock.changed' as const,
  service: 'product',
  maxDeliveryAttempts: 3,
};
