import type { PayloadOf } from '@shop/contracts';
import type { Prisma, Tx } from '@shop/db';
import { defineReasker, type PendingCheckoutTable, type StoredRequest } from '@shop/service';
import { BUY_NOW_REQUESTS_CHANNEL, type BuyNowRequestRow } from '../db/buy-now.queries';
import { OrderItem } from '../domain/order';

/** Buy-now requests as the re-ask loop reads them: pending while the outcome is unknown. */
const BUY_NOW_REQUESTS: PendingCheckoutTable = { schema: 'order', table: 'buy_now_requests', key: 'request_id' };

/**
 * The order-requested a buy-now request published (`requestBuyNow`), rebuilt from what its row has held unchanged
 * since: the lines with the prices it was made at, the currency, the creation time. Lines that no longer read as
 * lines are handed on as stored: the reasker refuses them, logs it, and goes on with the other requests.
 */
function orderRequestOf(row: BuyNowRequestRow): PayloadOf<'order-requested'> | Prisma.JsonValue {
  const items = OrderItem.array().safeParse(row.items);
  if (!items.success) return row.items;
  return {
    request_id: row.requestId,
    source: 'buy-now',
    cart_id: null,
    customer_id: row.customerId,
    items: items.data.map((i) => ({ product_sku: i.product_sku, quantity: i.quantity, unit_price_cents: i.unit_price_cents })),
    currency: row.currency,
    requested_at: row.createdAt.toISOString(),
  };
}

async function storedBuyNowRequests(tx: Tx, requestIds: string[]): Promise<StoredRequest[]> {
  const rows = await tx.buyNowRequest.findMany({ where: { requestId: { in: requestIds } } });
  return rows.map((row: BuyNowRequestRow) => ({ key: row.requestId, payload: orderRequestOf(row), correlationId: row.requestId }));
}

const buyNowReasker = defineReasker({
  name: 'buy-now-reask',
  table: BUY_NOW_REQUESTS,
  requestsOf: storedBuyNowRequests,
  channel: BUY_NOW_REQUESTS_CHANNEL,
});

/** The order service's re-asker: a `pending` buy-now request that heard no outcome publishes its order-requested again. */
export const createBuyNowReasker = buyNowReasker.create;

/** The order service's background re-ask loop (see `startCheckoutReasking`); returns what stops it. */
export const startBuyNowReasking = buyNowReasker.start;
