import type { Hono } from 'hono';
import type { ServiceMetrics } from '@shop/observability';
import type { AppEnv } from './context';
import { defineRoute } from './openapi';

/** Prometheus's text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /metrics` (support or admin): the service's metrics as Prometheus text (DESIGN.md "Seeing inside").
 * Exempt from the rate limit: a scraper polling every few seconds must not use up the staff token's allowance.
 */
export function registerMetricsRoute(app: Hono<AppEnv>, metrics: ServiceMetrics): void {
  defineRoute(
    app,
    {
      method: 'get',
      path: '/metrics',
      summary: 'Metrics in Prometheus text format (support or admin)',
      tags: ['operations'],
      access: { staff: ['support'] },
      rateLimited: false,
      responses: { 200: { description: 'Prometheus text exposition format 0.0.4', contentType: 'text/plain' } },
    },
    async (c) => c.body(await metrics.prometheusText(), 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }),
  );
}
