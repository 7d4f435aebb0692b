import type pg from 'pg';
import { quoteIdent } from '@shop/db';
import type { ServiceMetrics } from '@shop/observability';
import type { Transport } from './types';

export interface EventGaugeOptions {
  metrics: ServiceMetrics;
  pool: pg.Pool;
  /** The service's schema (its dead_letters and outbox). */
  schema: string;
  transport: Transport;
  /** The subscriptions this service consumes: only their lag is its to report. */
  subscriptions(): readonly string[];
}

/**
 * The service's event gauges, read only when metrics are collected: `dead_letters`, what
 * `GET /admin/dead-letters` lists by default (consumer dead letters not replayed, and outbox rows the transport
 * kept refusing), and `event_delivery_lag_seconds` per subscription when the transport can tell.
 */
export function observeEventGauges(options: EventGaugeOptions): void {
  const { metrics, pool, schema, transport } = options;
  // The outbox's predicate is outbox_held_idx's (as outbox-dead-letters.ts lists them): only the few held rows are read.
  const deadLettersSql = `SELECT (SELECT count(*) FROM ${quoteIdent(schema)}.dead_letters WHERE replayed_at IS NULL)
      + (SELECT count(*) FROM ${quoteIdent(schema)}.outbox
         WHERE published_at IS NULL AND leased_until IS NOT NULL AND set_aside_at IS NOT NULL) AS n`;
  metrics.observeGauge('dead_letters', async () => {
    const { rows } = await pool.query<{ n: string }>(deadLettersSql);
    return [{ value: Number(rows[0]?.n ?? 0) }];
  });
  const deliveryLag = transport.deliveryLag?.bind(transport);
  if (!deliveryLag) return;
  metrics.observeGauge('event_delivery_lag_seconds', async () => {
    const subscriptions = options.subscriptions();
    if (subscriptions.length === 0) return [];
    const lag = await deliveryLag(subscriptions);
    return [...lag].map(([subscription, seconds]) => ({ value: seconds, labels: { subscription } }));
  });
}
