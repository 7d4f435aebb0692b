import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from './metrics';

/** The lines of one metric family (its samples, without HELP/TYPE/UNIT comments). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('createServiceMetrics', () => {
  it('prints the counters under their exact Prometheus names, _total once, with topic and outcome labels', async () => {
    const metrics = createServiceMetrics({ service: 'cart' });
    metrics.eventsPublished('order-requested', 2);
    metrics.eventsPublished('order-requested', 1);
    metrics.eventConsumed('order.created', 'handled');
    metrics.eventConsumed('order.created', 'duplicate');
    metrics.eventConsumed('order.created', 'handled');
    const text = await metrics.prometheusText();
    expect(text).toContain('# TYPE events_published_total counter\n');
    expect(samples(text, 'events_published_total')).toEqual(['events_published_total{topic="order-requested"} 3']);
    expect(samples(text, 'events_consumed_total')).toEqual([
      'events_consumed_total{topic="order.created",outcome="handled"} 2',
      'events_consumed_total{topic="order.created",outcome="duplicate"} 1',
    ]);
    expect(text).not.toContain('_total_total');
    // No scope or resource labels: each sample carries only the labels DESIGN.md names.
    expect(text).not.toContain('otel_scope');
    expect(text).not.toContain('target_info');
  });

  it('prints the request histogram in seconds, by method, route and status, with cumulative buckets', async () => {
    const metrics = createServiceMetrics({ service: 'cart' });
    metrics.httpRequest({ method: 'POST', route: '/cart/items', status: 200, seconds: 0.02 });
    metrics.httpRequest({ method: 'POST', route: '/cart/items', status: 200, seconds: 0.3 });
    const text = await metrics.prometheusText();
    const labels = 'method="POST",route="/cart/items",status="200"';
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram\n');
    expect(samples(text, 'http_server_request_duration_seconds_count')).toEqual([`http_server_request_duration_seconds_count{${labels}} 2`]);
    expect(samples(text, 'http_server_request_duration_seconds_sum')).toEqual([`http_server_request_duration_seconds_sum{${labels}} 0.32`]);
    const buckets = samples(text, 'http_server_request_duration_seconds_bucket');
    expect(buckets).toContain(`http_server_request_duration_seconds_bucket{${labels},le="0.01"} 0`);
    expect(buckets).toContain(`http_server_request_duration_seconds_bucket{${labels},le="0.025"} 1`);
    expect(buckets).toContain(`http_server_request_duration_seconds_bucket{${labels},le="0.5"} 2`);
    expect(buckets.at(-1)).toBe(`http_server_request_duration_seconds_bucket{${labels},le="+Inf"} 2`);
  });

  it('reads gauges only when collected, every reader of a gauge each time', async () => {
    const metrics = createServiceMetrics({ service: 'inventory' });
    let reads = 0;
    metrics.observeGauge('reservations', async () => {
      reads++;
      return [
        { value: 2, labels: { status: 'reserved' } },
        { value: 5, labels: { status: 'committed' } },
      ];
    });
    metrics.observeGauge('event_delivery_lag_seconds', async () => [{ value: 1.5, labels: { subscription: 'inventory.order-requested' } }]);
    metrics.observeGauge('event_delivery_lag_seconds', async () => [{ value: 0, labels: { subscription: 'inventory.order-created' } }]);
    expect(reads).toBe(0);
    const text = await metrics.prometheusText();
    expect(reads).toBe(1);
    expect(text).toContain('# TYPE reservations gauge\n');
    expect(samples(text, 'reservations')).toEqual(['reservations{status="reserved"} 2', 'reservations{status="committed"} 5']);
    expect(samples(text, 'event_delivery_lag_seconds').sort()).toEqual([
      'event_delivery_lag_seconds{subscription="inventory.order-created"} 0',
      'event_delivery_lag_seconds{subscription="inventory.order-requested"} 1.5',
    ]);
  });

  it('leaves out a gauge whose reader fails, and still prints the rest', async () => {
    const metrics = createServiceMetrics({ service: 'cart' });
    metrics.observeGauge('dead_letters', async () => {
      throw new Error('database away');
    });
    metrics.eventsPublished('order-requested', 1);
    const text = await metrics.prometheusText();
    expect(samples(text, 'dead_letters')).toEqual([]);
    expect(samples(text, 'events_published_total')).toEqual(['events_published_total{topic="order-requested"} 1']);
  });

  it('shows checkout durations and expired reservations only in the services that record them', async () => {
    const cart = createServiceMetrics({ service: 'cart' });
    const inventory = createServiceMetrics({ service: 'inventory' });
    cart.checkoutFinished('ordered', 1.2);
    inventory.reservationsExpired(0);
    inventory.reservationsExpired(3);
    const [cartText, inventoryText] = [await cart.prometheusText(), await inventory.prometheusText()];
    expect(samples(cartText, 'checkout_duration_seconds_count')).toEqual(['checkout_duration_seconds_count{outcome="ordered"} 1']);
    expect(cartText).not.toContain('reservations_expired_total');
    expect(samples(inventoryText, 'reservations_expired_total')).toEqual(['reservations_expired_total 3']);
    // Two registries in one process (system tests) keep their figures apart.
    expect(inventoryText).not.toContain('checkout_duration_seconds');
  });

  it('hands the same instruments to another reader (Cloud Monitoring on Google Cloud)', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const metrics = createServiceMetrics({ service: 'order', readers: [reader] });
    metrics.checkoutFinished('confirmed', 0.4);
    metrics.observeGauge('dead_letters', async () => [{ value: 1 }]);
    await reader.forceFlush();
    const exported = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
    expect(exported).toEqual(expect.arrayContaining(['checkout_duration_seconds', 'dead_letters']));
    const resource = exporter.getMetrics()[0]!.resource.attributes;
    expect(resource).toMatchObject({ 'service.name': 'order', 'service.namespace': 'shop', 'service.instance.id': expect.any(String) });
    await metrics.shutdown();
  });
});
