import { randomUUID } from 'node:crypto';
import { buildEnvelope, type PayloadOf } from '@shop/contracts';
import type { IncomingMessage } from '@shop/events';
import { testAppContext, type TestAppContext } from '@shop/service/test';
import type { TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { productHandlers } from '../src/events/handlers';

/** The product app and its event runtime (its handlers registered) over a test database. */
export function productContext(db: TestDatabase): TestAppContext & { app: ReturnType<typeof createApp>['app'] } {
  const context = testAppContext('product', db, { handlers: productHandlers() });
  return { ...context, app: createApp(context).app };
}

/** A `stock.changed` wire message as inventory publishes it; `eventId` fixed: the same event again. */
export function stockChanged(payload: PayloadOf<'stock.changed'>, eventId = randomUUID()): IncomingMessage {
  const envelope = buildEnvelope('stock.changed', payload, { producer: 'inventory', correlationId: payload.sku, eventId });
  return { attributes: { ...envelope.attributes }, data: JSON.stringify(envelope.payload), deliveryAttempt: 1 };
}

export const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** Every row a refused request must leave alone: products, availability and the outbox. */
export async function productSnapshot(db: TestDatabase): Promise<unknown[]> {
  const tables = ['product.products', 'product.availability', 'product.outbox'];
  return Promise.all(tables.map(async (t) => (await db.pool.query(`SELECT * FROM ${t} ORDER BY 1`)).rows));
}

export interface OutboxEvent {
  topic: string;
  payload: Record<string, unknown>;
  attributes: Record<string, string>;
}

export async function outboxMark(db: TestDatabase): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>('SELECT COALESCE(max(id), 0)::text AS id FROM product.outbox');
  return rows[0]!.id;
}

export async function outbox(db: TestDatabase, afterId = '0'): Promise<OutboxEvent[]> {
  const { rows } = await db.pool.query<OutboxEvent>('SELECT topic, payload, attributes FROM product.outbox WHERE id > $1 ORDER BY id', [afterId]);
  return rows;
}

export interface Product {
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  active: boolean;
  available: number | null;
  created_at: string;
  updated_at: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}
