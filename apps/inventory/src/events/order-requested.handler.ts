import type { EventEnvelope } from '@shop/contracts';
import { defineHandler, type EventHandler } from '@shop/events';
import { reserveStock, type StockRequest } from '../domain/reserve-stock';

function toStockRequest(event: EventEnvelope<'order-requested'>): StockRequest {
  return { request: event.payload, correlationId: event.attributes.correlation_id, traceparent: event.attributes.traceparent };
}

/**
 * `order-requested` → reserve all lines or none. The subscription batches (up to 50 messages within 5 ms),
 * and a batch is reserved in one transaction: that is what lets a flash sale on one SKU run at thousands of
 * checkouts a second instead of one lock wait per checkout. A single message is a batch of one. A request
 * asked again (same request_id, another event id) gets its first answer again; each reservation expires
 * `ttlSeconds` after it was made.
 */
export function orderRequestedHandler(settings: { ttlSeconds: number }): EventHandler<'order-requested'> {
  return defineHandler<'order-requested'>({
    topic: 'order-requested',
    // Locks the stock rows of every line: in a transaction of its own, so the fixed lock order holds.
    alone: true,
    async handle(tx, event) {
      await reserveStock(tx, [toStockRequest(event)], settings.ttlSeconds);
    },
    async handleBatch(tx, events) {
      await reserveStock(tx, events.map(toStockRequest), settings.ttlSeconds);
    },
  });
}
