import type { PrismaClient, Tx } from '@shop/db';
import { Prisma } from '@shop/db';

type Client = PrismaClient | Tx;

export interface OrderLineRow {
  productSku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

/** An order with its lines (by SKU), as Prisma returns it. */
export interface OrderRow {
  orderId: string;
  requestId: string;
  source: string;
  customerId: string;
  cartId: string | null;
  reservationId: string;
  status: string;
  totalCents: number;
  currency: string;
  shippingAddress: Prisma.JsonValue | null;
  note: string | null;
  cancelReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  cancelledAt: Date | null;
  lines: OrderLineRow[];
}

const withLines = { lines: { orderBy: { productSku: 'asc' } } } satisfies Prisma.OrderInclude;

export function findOrder(db: Client, orderId: string): Promise<OrderRow | null> {
  return db.order.findUnique({ where: { orderId }, include: withLines });
}

/** The order a checkout request led to, if any (`orders.request_id` is unique). */
export function findOrderByRequest(db: Client, requestId: string): Promise<OrderRow | null> {
  return db.order.findUnique({ where: { requestId }, include: withLines });
}

/** Newest first, keyset-paged on (created_at, order_id) descending; fetches `limit + 1` to know if more follow. */
export function listOrderRows(
  db: Client,
  options: { limit: number; customerId?: string; status?: string; after?: { createdAt: Date; orderId: string } },
): Promise<OrderRow[]> {
  const { after } = options;
  return db.order.findMany({
    where: {
      ...(options.customerId ? { customerId: options.customerId } : {}),
      ...(options.status ? { status: options.status } : {}),
      ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, orderId: { lt: after.orderId } }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { orderId: 'desc' }],
    take: options.limit + 1,
    include: withLines,
  });
}

/**
 * Inserts the order of a request unless the request already has one (`orders.request_id` is unique): a
 * second `stock-available` for the same request, whatever its event id, waits on the first insert and then
 * does nothing. Returns the new order's `created_at`, or null when there was one already.
 */
export async function insertOrderIfAbsent(
  tx: Tx,
  order: Pick<OrderRow, 'orderId' | 'requestId' | 'source' | 'customerId' | 'cartId' | 'reservationId' | 'totalCents' | 'currency'>,
): Promise<Date | null> {
  const rows = await tx.$queryRaw<{ created_at: Date }[]>`
    INSERT INTO "order".orders (order_id, request_id, source, customer_id, cart_id, reservation_id, status, total_cents, currency)
    VALUES (${order.orderId}::uuid, ${order.requestId}::uuid, ${order.source}, ${order.customerId}::uuid, ${order.cartId}::uuid,
            ${order.reservationId}::uuid, 'confirmed', ${order.totalCents}, ${order.currency})
    ON CONFLICT (request_id) DO NOTHING
    RETURNING created_at`;
  return rows[0]?.created_at ?? null;
}

export async function insertOrderLines(tx: Tx, orderId: string, lines: OrderLineRow[]): Promise<void> {
  await tx.orderLine.createMany({ data: lines.map((line) => ({ orderId, ...line })) });
}

/** Locks the order row for the rest of the transaction; null when there is no such order. */
export async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow | null> {
  const rows = await tx.$queryRaw<{ order_id: string }[]>`SELECT order_id::text FROM "order".orders WHERE order_id = ${orderId}::uuid FOR UPDATE`;
  return rows.length ? findOrder(tx, orderId) : null;
}

export async function updateOrderDetails(
  tx: Tx,
  orderId: string,
  data: { shippingAddress?: Prisma.InputJsonValue | typeof Prisma.DbNull; note?: string | null },
): Promise<void> {
  await tx.order.update({ where: { orderId }, data: { ...data, updatedAt: new Date() } });
}

/**
 * Cancels a confirmed order. The row lock of the UPDATE queues concurrent cancels; each after the first finds
 * the order cancelled and changes nothing. True only for the one that cancelled it.
 */
export async function cancelOrderRow(tx: Tx, orderId: string, reason: string): Promise<boolean> {
  const now = new Date();
  const { count } = await tx.order.updateMany({
    where: { orderId, status: 'confirmed' },
    data: { status: 'cancelled', cancelReason: reason, cancelledAt: now, updatedAt: now },
  });
  return count > 0;
}
