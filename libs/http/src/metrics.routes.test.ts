import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '@shop/observability';
import { admin, asCustomer, createTestApp, CUSTOMER_A, support } from './test-support';

describe('GET /metrics', () => {
  const metrics = createServiceMetrics({ service: 'things' });
  metrics.eventsPublished('order-requested', 1);
  const { app } = createTestApp({ metrics });

  it('answers Prometheus text to support and admin', async () => {
    for (const headers of [support, admin]) {
      const res = await app.request('/metrics', { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toContain('events_published_total{topic="order-requested"} 1\n');
    }
  });

  it('answers 401 without a staff token: none, an unknown one, or a customer identity', async () => {
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { Authorization: 'Bearer nope-nope-nope-nope' } })).status).toBe(401);
    const asShopper = await app.request('/metrics', { headers: asCustomer(CUSTOMER_A) });
    expect(asShopper.status).toBe(401);
    expect(await asShopper.text()).not.toContain('events_published_total');
  });
});
