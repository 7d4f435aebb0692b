import { randomUUID } from 'node:crypto';
import { subscriptionName, type PayloadOf, type TopicName } from '@shop/contracts';
import type { DeliveryOutcome, IncomingMessage } from '@shop/events';
import { testAppContext, wireMessage, type TestAppContext } from '@shop/service/test';
import { testLogger, type TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { notificationHandlers } from '../src/events/handlers';

export const JOHN = { customer_id: '550e8400-e29b-41d4-a716-446655440000', name: 'John Smith', email: 'john.smith@example.com' };
export const JANE = { customer_id: '550e8400-e29b-41d4-a716-446655440001', name: 'Jane Doe', email: 'jane.doe@example.com' };
/** A well-formed id no customer has. */
export const NOBODY = '6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a';

export const LINES = [
  { product_sku: 'TSHIRT-RED-M', quantity: 2, unit_price_cents: 1999 },
  { product_sku: 'MUG-01', quantity: 1, unit_price_cents: 850 },
];

/** The service as tests drive it: its app and its event runtime (with every handler) over one test database. */
export interface NotificationHarness {
  db: TestDatabase;
  context: TestAppContext;
  app: ReturnType<typeof createApp>['app'];
  /** Delivers one message to the notification service's subscription for its topic. */
  deliver(message: IncomingMessage): Promise<DeliveryOutcome>;
}

export function notificationHarness(db: TestDatabase): NotificationHarness {
  const context = testAppContext('notification', db, { handlers: notificationHandlers({ logger: testLogger('notification') }) });
  const app = createApp(context).app;
  return {
    db,
    context,
    app,
    async deliver(message) {
      const topic = message.attributes['event_type'] as TopicName;
      const [outcome] = await context.events.consumer.deliver(subscriptionName('notification', topic), [message]);
      return outcome!;
    },
  };
}

/** A wire message for `topic`, as a transport would deliver it. */
export function message<T extends TopicName>(topic: T, payload: PayloadOf<T>, options: { eventId?: string; occurredAt?: Date } = {}): IncomingMessage {
  return wireMessage(topic, payload, { ...options, correlationId: randomUUID() });
}

export function eventIdOf(m: IncomingMessage): string {
  return m.attributes['event_id']!;
}

export function orderCreated(customerId: string, overrides: Partial<PayloadOf<'order.created'>> = {}): PayloadOf<'order.created'> {
  return {
    order_id: randomUUID(),
    request_id: randomUUID(),
    source: 'cart',
    cart_id: randomUUID(),
    customer_id: customerId,
    reservation_id: randomUUID(),
    items: LINES,
    total_cents: 4848,
    currency: 'EUR',
    status: 'confirmed',
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

export function orderCancelled(order: PayloadOf<'order.created'>, reason = 'customer changed their mind'): PayloadOf<'order.cancelled'> {
  return {
    order_id: order.order_id,
    cart_id: order.cart_id,
    customer_id: order.customer_id,
    reservation_id: order.reservation_id,
    items: order.items,
    reason,
    cancelled_at: new Date().toISOString(),
  };
}

export function stockRejected(customerId: string, overrides: Partial<PayloadOf<'stock.rejected'>> = {}): PayloadOf<'stock.rejected'> {
  return {
    request_id: randomUUID(),
    source: 'cart',
    cart_id: randomUUID(),
    customer_id: customerId,
    reason: 'insufficient_stock',
    details: [{ product_sku: 'TSHIRT-RED-M', requested: 2, available: 1 }],
    ...overrides,
  };
}

/** Makes the service know a customer, the way it learns them: from `customer.upserted`. */
export async function knowCustomer(h: NotificationHarness, customer: PayloadOf<'customer.upserted'>): Promise<void> {
  const outcome = await h.deliver(message('customer.upserted', customer));
  if (outcome.status !== 'ack') throw new Error(`customer.upserted was not handled: ${JSON.stringify(outcome)}`);
}

export interface NotificationRecord {
  notification_id: string;
  customer_id: string;
  type: string;
  channel: string;
  status: string;
  subject: string;
  text: string;
  html: string | null;
  url: string | null;
  recipient: string | null;
  requested_at: Date | null;
  attempts: number;
  last_error: string | null;
  order_id: string | null;
  sent_at: Date | null;
}

export async function notificationsOf(db: TestDatabase, where: { orderId?: string; customerId?: string } = {}): Promise<NotificationRecord[]> {
  const { rows } = await db.pool.query<NotificationRecord>(
    `SELECT notification_id::text, customer_id::text, type, channel, status, subject, text, html, url, recipient, requested_at,
            attempts, last_error, order_id::text, sent_at
     FROM notification.notifications
     WHERE ($1::uuid IS NULL OR order_id = $1::uuid) AND ($2::uuid IS NULL OR customer_id = $2::uuid)
     ORDER BY created_at, channel`,
    [where.orderId ?? null, where.customerId ?? null],
  );
  return rows;
}

export async function notificationById(db: TestDatabase, id: string): Promise<NotificationRecord | undefined> {
  const { rows } = await db.pool.query<NotificationRecord>(
    `SELECT notification_id::text, customer_id::text, type, channel, status, subject, text, html, url, recipient, requested_at,
            attempts, last_error, order_id::text, sent_at FROM notification.notifications WHERE notification_id = $1::uuid`,
    [id],
  );
  return rows[0];
}

export interface OutboxRecord {
  topic: string;
  payload: Record<string, unknown>;
  attributes: Record<string, string>;
}

/** Events in the outbox after the first `from` rows. */
export async function outbox(db: TestDatabase, from = 0): Promise<OutboxRecord[]> {
  const { rows } = await db.pool.query<OutboxRecord>('SELECT topic, payload, attributes FROM notification.outbox ORDER BY id OFFSET $1', [from]);
  return rows;
}

export async function outboxSize(db: TestDatabase): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM notification.outbox');
  return rows[0]!.n;
}

export async function historyOf(db: TestDatabase, notificationId: string): Promise<{ outcome: string; attempt: number | null; error: string | null }[]> {
  const { rows } = await db.pool.query(
    'SELECT outcome, attempt, error FROM notification.notification_deliveries WHERE notification_id = $1::uuid ORDER BY occurred_at, id',
    [notificationId],
  );
  return rows;
}

/** Every row the service owns, to compare before and after something that must change nothing. */
export async function snapshot(db: TestDatabase): Promise<unknown[]> {
  const tables = ['notifications', 'notification_deliveries', 'customers', 'outbox'];
  return Promise.all(tables.map(async (t) => (await db.pool.query(`SELECT * FROM notification.${t} ORDER BY 1`)).rows));
}

export async function deadLetters(db: TestDatabase): Promise<{ subscription: string; reason: string }[]> {
  const { rows } = await db.pool.query('SELECT subscription, reason FROM notification.dead_letters ORDER BY id');
  return rows;
}
