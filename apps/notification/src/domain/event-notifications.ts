import type { OrderCancelledV1, OrderCreatedV1, StockRejectedV1 } from '@shop/contracts';
import type { Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import type { Logger } from '@shop/observability';
import { lockCustomer } from '../db/customers.queries';
import { notificationsOfOrder } from '../db/notifications.queries';
import type { NotificationRow } from './notification';
import { createNotifications } from './notify';
import type { TemplateInput } from './templates';

/** What an event handler hands the use cases: its transaction's publisher and the event's identity. */
export interface EventCause {
  publish: PublishFn;
  eventId: string;
  logger: Logger;
}

/**
 * `order.created` → "order confirmed", once per order: the order service answers a repeated question with
 * the same `order.created` under a new event id (DESIGN.md, "Recovery"), so the notification is keyed by the
 * order, not by the event, and a repeat finds it made. Skipped when the order's cancellation was already notified:
 * `order.created` and `order.cancelled` come on different subscriptions, and a confirmation arriving after
 * the cancellation would tell the customer the opposite of the truth.
 */
export async function notifyOrderConfirmed(tx: Tx, cause: EventCause, order: OrderCreatedV1): Promise<NotificationRow[]> {
  await lockCustomer(tx, order.customer_id);
  if ((await notificationsOfOrder(tx, order.order_id, 'order_cancelled')).length) {
    cause.logger.info({ order_id: order.order_id }, 'order.created after its cancellation was notified: no confirmation sent');
    return [];
  }
  const input: TemplateInput = {
    type: 'order_confirmed',
    order_id: order.order_id,
    cart_id: order.cart_id,
    request_id: order.request_id,
    lines: order.items,
    total_cents: order.total_cents,
    currency: order.currency,
  };
  return createNotifications(tx, { customerId: order.customer_id, input, orderId: order.order_id, causeId: `order.created/${order.order_id}` });
}

/**
 * `order.cancelled` → "order cancelled". The event carries lines but neither total nor currency: the total is
 * the sum of the lines, the currency the one the confirmation was rendered in (unknown if it was not), and so
 * is a buy-now's request id.
 */
export async function notifyOrderCancelled(tx: Tx, cause: EventCause, order: OrderCancelledV1): Promise<NotificationRow[]> {
  await lockCustomer(tx, order.customer_id);
  const confirmed = await notificationsOfOrder(tx, order.order_id, 'order_confirmed');
  const fromConfirmation = (field: 'currency' | 'request_id') =>
    confirmed.map((n) => (n.details as Record<string, unknown>)[field]).find((v): v is string => typeof v === 'string') ?? null;
  const input: TemplateInput = {
    type: 'order_cancelled',
    order_id: order.order_id,
    cart_id: order.cart_id,
    // order.cancelled does not carry it: a buy-now's request id, for its correlation id, as the confirmation had it.
    request_id: fromConfirmation('request_id'),
    lines: order.items,
    total_cents: order.items.reduce((sum, l) => sum + l.quantity * l.unit_price_cents, 0),
    currency: fromConfirmation('currency'),
    reason: order.reason,
  };
  // Keyed by the order, not the event: an order is cancelled once, and order.cancelled may be published again
  // (order answers a repeated reservation.expired with it), so a second copy must find this notification made.
  return createNotifications(tx, { customerId: order.customer_id, input, orderId: order.order_id, causeId: `order.cancelled/${order.order_id}` });
}

/**
 * `stock.rejected` → "we could not place your order", with the lines inventory could not serve; once per
 * request: inventory answers a repeated request with the same rejection under a new event id.
 */
export async function notifyStockRejected(tx: Tx, cause: EventCause, rejection: StockRejectedV1): Promise<NotificationRow[]> {
  const input: TemplateInput = {
    type: 'stock_rejected',
    request_id: rejection.request_id,
    cart_id: rejection.cart_id,
    source: rejection.source,
    reason: rejection.reason,
    lines: rejection.details,
  };
  return createNotifications(tx, { customerId: rejection.customer_id, input, orderId: null, causeId: `stock.rejected/${rejection.request_id}` });
}
