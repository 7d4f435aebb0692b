import { randomUUID } from 'node:crypto';
import { fail, type FieldError, type PayloadOf } from '@shop/contracts';
import { inTransaction, Prisma, type PrismaClient, type Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import type { Principal } from '@shop/http';
import { findBuyNowRequest, insertBuyNowRequest, settleBuyNowRequest, type BuyNowRequestRow } from '../db/buy-now.queries';
import {
  cancelOrderRow,
  findOrder,
  findOrderByRequest,
  insertOrderIfAbsent,
  insertOrderLines,
  listOrderRows,
  lockOrder,
  updateOrderDetails,
  type OrderRow,
} from '../db/orders.queries';
import { findProducts } from '../db/read-models.queries';
import { MAX_TOTAL_CENTS, totalOf, type BuyNowBody, type OrderItem, type Rejection, type UpdateOrderBody } from './order';

/** What the order use cases need: the database and the outbox. */
export interface OrderStore {
  prisma: PrismaClient;
  publish: PublishFn;
}

/** Support and admin see every order; a customer only its own, and another's does not exist for it (404). */
function mayAccess(principal: Principal, customerId: string): boolean {
  return principal.kind === 'staff' || principal.customerId === customerId;
}

function orderNotFound(orderId: string): never {
  throw fail.notFound(`Order ${orderId} does not exist.`);
}

// ---------------------------------------------------------------------------------------------- events

/** What a `stock-available` led to: a new order, the existing order's `order.created` again, or nothing (expired). */
export type ReservationAnswer = 'created' | 'repeated' | 'expired';

/** A buy-now request this call settled, and how long after it was accepted (checkout_duration_seconds). */
export interface BuyNowEnd {
  outcome: 'confirmed' | 'rejected';
  seconds: number;
}

const buyNowEnd = (outcome: BuyNowEnd['outcome'], seconds: number | undefined): BuyNowEnd | undefined =>
  seconds === undefined ? undefined : { outcome, seconds };

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True once the reservation's `expires_at` has passed; a message from before the field existed never expires. */
function hasExpired(event: PayloadOf<'stock-available'>, now: Date): boolean {
  return event.expires_at !== undefined && Date.parse(event.expires_at) <= now.getTime();
}

/**
 * `stock-available` → the order, `confirmed`, with its lines and total, and `order.created`, in one
 * transaction. A buy-now request is confirmed with the order id.
 *
 * Ask again, get the same answer (DESIGN.md, "Recovery"): a second `stock-available` for a request that has
 * its order, whatever its event id (inventory answers a repeated `order-requested` with it), publishes that
 * order's `order.created` again, field for field, and creates nothing. Copies racing each other queue on the
 * unique `request_id`; the later ones find the order.
 *
 * A reservation is good until its `expires_at`: after that inventory may have given its units back, so no
 * order is created. A buy-now request is then `rejected` (`reservation_expired`); a cart asks again and
 * inventory answers with `stock.rejected`.
 */
export async function createOrderFromReservation(
  tx: Tx,
  publish: PublishFn,
  event: PayloadOf<'stock-available'>,
  now = new Date(),
): Promise<{ answer: ReservationAnswer; ended?: BuyNowEnd }> {
  if (hasExpired(event, now)) {
    const existing = await findOrderByRequest(tx, event.request_id);
    if (existing) {
      await publishOrderCreated(tx, publish, existing);
      return { answer: 'repeated' };
    }
    if (event.source === 'buy-now') {
      const rejection = { reason: 'reservation_expired', details: [] } satisfies Rejection;
      return { answer: 'expired', ended: buyNowEnd('rejected', await settleBuyNowRequest(tx, event.request_id, { status: 'rejected', rejection })) };
    }
    return { answer: 'expired' };
  }
  const orderId = randomUUID();
  const totalCents = totalOf(event.items);
  const createdAt = await insertOrderIfAbsent(tx, {
    orderId,
    requestId: event.request_id,
    source: event.source,
    customerId: event.customer_id,
    cartId: event.cart_id,
    reservationId: event.reservation_id,
    totalCents,
    currency: event.currency,
  });
  if (!createdAt) {
    await publishOrderCreated(tx, publish, (await findOrderByRequest(tx, event.request_id))!);
    return { answer: 'repeated' };
  }
  const names = new Map((await findProducts(tx, event.items.map((i) => i.product_sku))).map((p) => [p.sku, p.name]));
  await insertOrderLines(
    tx,
    orderId,
    // The price is the one reserved (the checkout's snapshot); a product deleted since keeps its last name, one never seen its SKU.
    event.items.map((i) => ({ productSku: i.product_sku, name: names.get(i.product_sku) ?? i.product_sku, quantity: i.quantity, unitPriceCents: i.unit_price_cents })),
  );
  const ended = event.source === 'buy-now' ? buyNowEnd('confirmed', await settleBuyNowRequest(tx, event.request_id, { status: 'confirmed', orderId })) : undefined;
  await publishOrderCreated(tx, publish, {
    orderId,
    requestId: event.request_id,
    source: event.source,
    cartId: event.cart_id,
    customerId: event.customer_id,
    reservationId: event.reservation_id,
    totalCents,
    currency: event.currency,
    createdAt,
    lines: event.items.map((i) => ({ productSku: i.product_sku, quantity: i.quantity, unitPriceCents: i.unit_price_cents })),
  });
  return { answer: 'created', ...(ended ? { ended } : {}) };
}

/**
 * `order.created` for an order, built only from what the order keeps, so publishing it again repeats it
 * exactly: lines in SKU byte order (as inventory lists them), the order's own `created_at`.
 */
async function publishOrderCreated(
  tx: Tx,
  publish: PublishFn,
  order: Pick<OrderRow, 'orderId' | 'requestId' | 'source' | 'cartId' | 'customerId' | 'reservationId' | 'totalCents' | 'currency' | 'createdAt'> & {
    lines: Pick<OrderRow['lines'][number], 'productSku' | 'quantity' | 'unitPriceCents'>[];
  },
): Promise<void> {
  const source = order.source as PayloadOf<'order.created'>['source'];
  await publish(
    tx,
    'order.created',
    {
      order_id: order.orderId,
      request_id: order.requestId,
      source,
      cart_id: order.cartId,
      customer_id: order.customerId,
      reservation_id: order.reservationId,
      items: [...order.lines]
        .sort((a, b) => byteOrder(a.productSku, b.productSku))
        .map((l) => ({ product_sku: l.productSku, quantity: l.quantity, unit_price_cents: l.unitPriceCents })),
      total_cents: order.totalCents,
      currency: order.currency,
      status: 'confirmed',
      created_at: order.createdAt.toISOString(),
    },
    // DESIGN.md: the cart id for everything a cart checkout causes, the request id for a buy-now.
    { correlationId: order.cartId ?? order.requestId },
  );
}

/** `stock.rejected` for buy now → the request `rejected`, with the rejection shaped as the cart's. */
export async function rejectBuyNow(tx: Tx, event: PayloadOf<'stock.rejected'>): Promise<BuyNowEnd | undefined> {
  const rejection: Rejection = { reason: event.reason, details: event.details };
  return buyNowEnd('rejected', await settleBuyNowRequest(tx, event.request_id, { status: 'rejected', rejection }));
}

// ---------------------------------------------------------------------------------------------- orders

export function listOrders(
  prisma: PrismaClient,
  principal: Principal,
  options: { limit: number; customerId?: string; status?: string; after?: { createdAt: Date; orderId: string } },
): Promise<OrderRow[]> {
  if (principal.kind === 'customer') {
    // A customer's list is its own; asking for another customer's orders finds none.
    if (options.customerId && options.customerId !== principal.customerId) return Promise.resolve([]);
    return listOrderRows(prisma, { ...options, customerId: principal.customerId });
  }
  return listOrderRows(prisma, options);
}

export async function getOrder(prisma: PrismaClient, principal: Principal, orderId: string): Promise<OrderRow> {
  const order = await findOrder(prisma, orderId);
  if (!order || !mayAccess(principal, order.customerId)) orderNotFound(orderId);
  return order;
}

/** `PUT /orders/:id`: shipping address and note, while the order is not cancelled. */
export async function updateOrder(store: OrderStore, principal: Principal, orderId: string, input: UpdateOrderBody): Promise<OrderRow> {
  return inTransaction(store.prisma, async (tx) => {
    // Locked, so a cancel running at the same time either precedes this (409) or follows it.
    const order = await lockOrder(tx, orderId);
    if (!order || !mayAccess(principal, order.customerId)) orderNotFound(orderId);
    if (order.status === 'cancelled') throw fail.conflict(`Order ${orderId} is cancelled; it can no longer be changed.`);
    await updateOrderDetails(tx, orderId, {
      ...(input.shipping_address !== undefined ? { shippingAddress: input.shipping_address ?? Prisma.DbNull } : {}),
      ...(input.note !== undefined ? { note: input.note } : {}),
    });
    return (await findOrder(tx, orderId))!;
  });
}

/**
 * `POST /orders/:id/cancel` and `DELETE /orders/:id`: cancels a confirmed order and publishes
 * `order.cancelled` in the same transaction. Repeating it changes nothing, publishes nothing, and answers the
 * same order; of concurrent cancels exactly one publishes.
 */
export async function cancelOrder(store: OrderStore, principal: Principal, orderId: string): Promise<OrderRow> {
  return inTransaction(store.prisma, async (tx) => {
    const order = await findOrder(tx, orderId);
    if (!order || !mayAccess(principal, order.customerId)) orderNotFound(orderId);
    const reason = principal.kind === 'customer' ? 'cancelled by the customer' : `cancelled by ${principal.role}`;
    return (await cancelAndPublish(tx, store.publish, orderId, reason)) ?? (await findOrder(tx, orderId))!;
  });
}

/**
 * Cancels a confirmed order and publishes `order.cancelled` in the caller's transaction; the cancelled order,
 * or null when it was not confirmed (already cancelled: nothing changes, nothing is published).
 */
async function cancelAndPublish(tx: Tx, publish: PublishFn, orderId: string, reason: string): Promise<OrderRow | null> {
  if (!(await cancelOrderRow(tx, orderId, reason))) return null;
  const cancelled = (await findOrder(tx, orderId))!;
  await publishCancelled(tx, publish, cancelled);
  return cancelled;
}

/** `order.cancelled` for a cancelled order, built from the order alone: the same payload however often it is sent. */
async function publishCancelled(tx: Tx, publish: PublishFn, cancelled: OrderRow): Promise<void> {
  await publish(
    tx,
    'order.cancelled',
    {
      order_id: cancelled.orderId,
      cart_id: cancelled.cartId,
      customer_id: cancelled.customerId,
      reservation_id: cancelled.reservationId,
      items: cancelled.lines.map((l) => ({ product_sku: l.productSku, quantity: l.quantity, unit_price_cents: l.unitPriceCents })),
      reason: cancelled.cancelReason ?? RESERVATION_EXPIRED,
      cancelled_at: cancelled.cancelledAt!.toISOString(),
    },
    { correlationId: cancelled.cartId ?? cancelled.requestId },
  );
}

/** The cancel reason of an order whose reservation expired before inventory could commit it. */
export const RESERVATION_EXPIRED = 'reservation_expired';

/**
 * `reservation.expired` → the order is cancelled (reason `reservation_expired`) and `order.cancelled`
 * published as for any cancel, so the cart, inventory and the customer hear of it. For an order already
 * cancelled nothing changes, but its `order.cancelled` is published again (`repeated`): inventory sends
 * `reservation.expired` again until it hears that order.cancelled, so this is the same answer to a repeated
 * question (DESIGN.md, "Recovery"), and every consumer of it is idempotent per order. An order this service
 * does not have, or not on that reservation, is `unknown`.
 */
export async function cancelExpiredOrder(tx: Tx, publish: PublishFn, event: PayloadOf<'reservation.expired'>): Promise<'cancelled' | 'repeated' | 'unknown'> {
  const order = await findOrder(tx, event.order_id);
  if (!order || order.reservationId !== event.reservation_id) return 'unknown';
  if (await cancelAndPublish(tx, publish, event.order_id, RESERVATION_EXPIRED)) return 'cancelled';
  await publishCancelled(tx, publish, (await findOrder(tx, event.order_id))!);
  return 'repeated';
}

// ---------------------------------------------------------------------------------------------- buy now

/**
 * `POST /orders`: records the request `pending` and writes `order-requested` (`source: "buy-now"`), priced
 * from the order service's catalog read model, in one transaction. Inventory answers as for a cart.
 */
export async function requestBuyNow(store: OrderStore, customerId: string, input: BuyNowBody): Promise<BuyNowRequestRow> {
  return inTransaction(store.prisma, async (tx) => {
    const products = new Map((await findProducts(tx, input.items.map((i) => i.product_sku))).map((p) => [p.sku, p]));
    const unknown: FieldError[] = input.items.flatMap((item, index) =>
      products.get(item.product_sku)?.active ? [] : [{ field: `items.${index}.product_sku`, message: 'unknown or unavailable product' }],
    );
    if (unknown.length) throw fail.validation('Some products are not in the catalog.', unknown);
    const items: OrderItem[] = input.items.map((item) => {
      const product = products.get(item.product_sku)!;
      return { product_sku: product.sku, name: product.name, quantity: item.quantity, unit_price_cents: product.priceCents };
    });
    const currencies = new Set(input.items.map((i) => products.get(i.product_sku)!.currency));
    if (currencies.size > 1) {
      throw fail.validation(`The products are priced in different currencies (${[...currencies].join(', ')}); order them separately.`, [
        { field: 'items', message: 'mixed currencies' },
      ]);
    }
    if (totalOf(items) > MAX_TOTAL_CENTS) throw fail.validation('The order total would be too large.', [{ field: 'items', message: 'total too large' }]);
    const currency = [...currencies][0]!;
    const request = await insertBuyNowRequest(tx, { requestId: randomUUID(), customerId, items, currency });
    await store.publish(
      tx,
      'order-requested',
      {
        request_id: request.requestId,
        source: 'buy-now',
        cart_id: null,
        customer_id: customerId,
        items: items.map((i) => ({ product_sku: i.product_sku, quantity: i.quantity, unit_price_cents: i.unit_price_cents })),
        currency: request.currency,
        requested_at: request.createdAt.toISOString(),
      },
      // No cart and no order yet: the request id is what follows this checkout across services.
      { correlationId: request.requestId },
    );
    return request;
  });
}

export async function getBuyNowRequest(prisma: PrismaClient, principal: Principal, requestId: string): Promise<BuyNowRequestRow> {
  const request = await findBuyNowRequest(prisma, requestId);
  if (!request || !mayAccess(principal, request.customerId)) throw fail.notFound(`Request ${requestId} does not exist.`);
  return request;
}
