import { randomUUID } from 'node:crypto';
import type { PayloadOf, TopicName } from '@shop/contracts';
import type { DeliveryOutcome, IncomingMessage } from '@shop/events';
import { testAppContext, wireMessage, type TestAppContext } from '@shop/service/test';
import { testLogger, type TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { inventoryHandlers } from '../src/events/handlers';

export const CUSTOMER = '550e8400-e29b-41d4-a716-446655440000';

/** Reservations in tests live the default 900 s unless a test says otherwise. */
export const TTL_SECONDS = 900;

/** The inventory app and its event runtime (every handler registered) over a test database. */
export function inventoryContext(db: TestDatabase, options: { ttlSeconds?: number } = {}): TestAppContext & { app: ReturnType<typeof createApp>['app'] } {
  const config = { RESERVATION_TTL_SECONDS: options.ttlSeconds ?? TTL_SECONDS };
  const context = testAppContext('inventory', db, { handlers: inventoryHandlers({ logger: testLogger('inventory'), config }) });
  return { ...context, app: createApp(context).app };
}

/** A wire message as a transport delivers it. `eventId` fixed: the same event delivered again. */
export function message<T extends TopicName>(topic: T, payload: PayloadOf<T>, options: { eventId?: string; occurredAt?: string } = {}): IncomingMessage {
  return wireMessage(topic, payload, { ...options, correlationId: 'test-correlation' });
}

/** Delivers messages to inventory's subscription of `topic`, through the idempotent consumer. */
export function deliver(context: TestAppContext, topic: TopicName, messages: IncomingMessage[]): Promise<DeliveryOutcome[]> {
  return context.events.consumer.deliver(`inventory.${topic}`, messages);
}

export type Line = [sku: string, quantity: number];

/** An `order-requested` payload for a cart checkout of `lines`. */
export function orderRequested(lines: Line[], overrides: Partial<PayloadOf<'order-requested'>> = {}): PayloadOf<'order-requested'> {
  return {
    request_id: randomUUID(),
    source: 'cart',
    cart_id: randomUUID(),
    customer_id: CUSTOMER,
    items: lines.map(([sku, quantity]) => ({ product_sku: sku, quantity, unit_price_cents: 1000 })),
    currency: 'EUR',
    requested_at: new Date().toISOString(),
    ...overrides,
  };
}

/** The `order.created` the order service publishes for a reserved request. */
export function orderCreated(request: PayloadOf<'order-requested'>, reservationId: string, orderId = randomUUID()): PayloadOf<'order.created'> {
  return {
    order_id: orderId,
    request_id: request.request_id,
    source: request.source,
    cart_id: request.cart_id,
    customer_id: request.customer_id,
    reservation_id: reservationId,
    items: request.items,
    total_cents: request.items.reduce((sum, l) => sum + l.quantity * l.unit_price_cents, 0),
    currency: request.currency,
    status: 'confirmed',
    created_at: new Date().toISOString(),
  };
}

export function orderCancelled(request: PayloadOf<'order-requested'>, reservationId: string, orderId: string): PayloadOf<'order.cancelled'> {
  return {
    order_id: orderId,
    cart_id: request.cart_id,
    customer_id: request.customer_id,
    reservation_id: reservationId,
    items: request.items,
    reason: 'customer asked',
    cancelled_at: new Date().toISOString(),
  };
}

/** Creates stock records directly (version 1), bypassing the outbox: test set-up, not behaviour under test. */
export async function seedStock(db: TestDatabase, levels: Record<string, number>): Promise<void> {
  await db.pool.query(
    'INSERT INTO inventory.stock (sku, available, version) SELECT s, a, 1 FROM unnest($1::text[], $2::int[]) AS t(s, a)',
    [Object.keys(levels), Object.values(levels)],
  );
}

export interface StockLevels {
  available: number;
  reserved: number;
  version: number;
}

export async function stockOf(db: TestDatabase, sku: string): Promise<StockLevels | undefined> {
  const { rows } = await db.pool.query<StockLevels>('SELECT available, reserved, version::int AS version FROM inventory.stock WHERE sku = $1', [sku]);
  return rows[0];
}

export interface OutboxEvent {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  attributes: Record<string, string>;
}

/** The outbox after row `afterId` (a mark from `outboxMark`). */
export async function outbox(db: TestDatabase, afterId = '0'): Promise<OutboxEvent[]> {
  const { rows } = await db.pool.query<OutboxEvent>('SELECT id::text, topic, payload, attributes FROM inventory.outbox WHERE id > $1 ORDER BY id', [afterId]);
  return rows;
}

export async function outboxMark(db: TestDatabase): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>('SELECT COALESCE(max(id), 0)::text AS id FROM inventory.outbox');
  return rows[0]!.id;
}

export interface ReservationRecord {
  reservation_id: string;
  request_id: string;
  status: string;
  order_id: string | null;
  /** RFC 3339 UTC, as `stock-available` carries it; null for a rejected request. */
  expires_at: string | null;
  lines: { sku: string; quantity: number }[];
}

export async function reservationFor(db: TestDatabase, requestId: string): Promise<ReservationRecord | undefined> {
  const { rows } = await db.pool.query<ReservationRecord>(
    `SELECT r.reservation_id::text, r.request_id::text, r.status, r.order_id::text,
            to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at,
            COALESCE(json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.sku) FILTER (WHERE l.sku IS NOT NULL), '[]') AS lines
     FROM inventory.reservations r LEFT JOIN inventory.reservation_lines l USING (reservation_id)
     WHERE r.request_id = $1 GROUP BY r.reservation_id`,
    [requestId],
  );
  return rows[0];
}

/** Moves a reservation's `expires_at` to `secondsAgo` seconds before now: the passing of time, for tests. */
export async function expireAgo(db: TestDatabase, requestId: string, secondsAgo: number): Promise<void> {
  await db.pool.query(`UPDATE inventory.reservations SET expires_at = now() - make_interval(secs => $2) WHERE request_id = $1`, [requestId, secondsAgo]);
}

/** Deadlocks PostgreSQL has detected in this database so far (pg_stat_database). */
export async function deadlocksSoFar(db: TestDatabase): Promise<number> {
  // Statistics are reported asynchronously; force a fresh snapshot.
  await db.pool.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.pool.query<{ deadlocks: string }>('SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()');
  return Number(rows[0]!.deadlocks);
}
