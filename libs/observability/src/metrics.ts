import { randomUUID } from 'node:crypto';
import type { Attributes, ObservableResult } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';

/** What became of one delivered message, as `events_consumed_total` counts it. */
export type ConsumeOutcome = 'handled' | 'duplicate' | 'retried' | 'dead_lettered';

/** One value of a gauge read on collection, with its labels. */
export interface GaugeReading {
  value: number;
  labels?: Attributes;
}

/** The gauges DESIGN.md names; each is read from the database only when metrics are collected. */
export type GaugeName = 'event_delivery_lag_seconds' | 'dead_letters' | 'reservations';

/** Reads a gauge's current values (a cheap query); called on every scrape or export, never on a hot path. */
export type GaugeReader = () => Promise<GaugeReading[]>;

/**
 * One service's metrics (DESIGN.md "Seeing inside"). Counters and histograms are in-memory increments;
 * gauges are read on collection. Each service has its own: system tests run every service in one process,
 * and each must show only its own figures at its `GET /metrics`.
 */
export interface ServiceMetrics {
  /** One HTTP request answered: `route` is the matched pattern (`/cart/items/:product_sku`), never the raw path. */
  httpRequest(request: { method: string; route: string; status: number; seconds: number }): void;
  /** Outbox rows the transport acknowledged. */
  eventsPublished(topic: string, count: number): void;
  eventConsumed(topic: string, outcome: ConsumeOutcome): void;
  /** A checkout reached its final state, `seconds` after it was accepted. */
  checkoutFinished(outcome: string, seconds: number): void;
  reservationsExpired(count: number): void;
  /** Adds a reader to a gauge; a gauge with several readers reports all their values. */
  observeGauge(name: GaugeName, read: GaugeReader): void;
  /** Every metric as Prometheus text (exposition format 0.0.4). */
  prometheusText(): Promise<string>;
  /** Exports what is pending (Cloud Monitoring) and stops the readers. */
  shutdown(): Promise<void>;
}

export interface ServiceMetricsOptions {
  service: string;
  version?: string;
  /** Further readers of the same instruments: Cloud Monitoring's periodic export on Google Cloud. */
  readers?: IMetricReader[];
}

/** Collects on demand, for `GET /metrics`: the pull side of the registry, exporting nothing by itself. */
class ScrapeReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

// Seconds. HTTP answers take milliseconds to a few seconds; a checkout takes from well under a second to a
// reservation's lifetime (RESERVATION_TTL_SECONDS, 900 by default) when it waits on re-asking.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CHECKOUT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800];

const GAUGES: Record<GaugeName, { description: string; unit?: string }> = {
  event_delivery_lag_seconds: { description: 'Age of the oldest message not yet acknowledged, per subscription', unit: 's' },
  dead_letters: { description: 'Messages given up on and not replayed (as GET /admin/dead-letters lists them)' },
  reservations: { description: 'Reservations by status' },
};

/**
 * A service's metrics over its own OpenTelemetry meter provider (never the global one). Names are the
 * Prometheus names DESIGN.md gives: counters already end in `_total`, which the serializer then keeps as
 * they are, and units are not appended to names.
 */
export function createServiceMetrics(options: ServiceMetricsOptions): ServiceMetrics {
  const scrape = new ScrapeReader();
  const provider = new MeterProvider({
    // service.instance.id keeps Cloud Monitoring's time series of two instances apart (generic_task's task_id).
    resource: resourceFromAttributes({
      'service.name': options.service,
      'service.namespace': 'shop',
      'service.instance.id': randomUUID(),
      ...(options.version ? { 'service.version': options.version } : {}),
    }),
    readers: [scrape, ...(options.readers ?? [])],
  });
  const meter = provider.getMeter('shop');
  const httpDuration = meter.createHistogram('http_server_request_duration_seconds', {
    description: 'HTTP requests by method, matched route and status',
    unit: 's',
    advice: { explicitBucketBoundaries: HTTP_BUCKETS },
  });
  const published = meter.createCounter('events_published_total', { description: 'Events the transport acknowledged, by topic' });
  const consumed = meter.createCounter('events_consumed_total', { description: 'Delivered events by topic and outcome' });
  const checkoutDuration = meter.createHistogram('checkout_duration_seconds', {
    description: 'Checkouts from acceptance to a final state, by outcome',
    unit: 's',
    advice: { explicitBucketBoundaries: CHECKOUT_BUCKETS },
  });
  // Created on first use: only inventory expires reservations, and the others should not show an idle zero.
  let expired: ReturnType<typeof meter.createCounter> | undefined;
  const gaugeReaders = new Map<GaugeName, GaugeReader[]>();
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);

  function observeGauge(name: GaugeName, read: GaugeReader): void {
    const readers = gaugeReaders.get(name);
    if (readers) return void readers.push(read);
    gaugeReaders.set(name, [read]);
    const gauge = meter.createObservableGauge(name, GAUGES[name]);
    gauge.addCallback(async function readGauge(result: ObservableResult) {
      await Promise.all(
        gaugeReaders.get(name)!.map(async (reader) => {
          // A database that cannot answer leaves this gauge out of one scrape; it must not fail the others.
          const readings = await reader().catch(() => []);
          for (const r of readings) result.observe(r.value, r.labels);
        }),
      );
    });
  }

  return {
    httpRequest({ method, route, status, seconds }) {
      httpDuration.record(seconds, { method, route, status: String(status) });
    },
    eventsPublished(topic, count) {
      if (count > 0) published.add(count, { topic });
    },
    eventConsumed(topic, outcome) {
      consumed.add(1, { topic, outcome });
    },
    checkoutFinished(outcome, seconds) {
      checkoutDuration.record(Math.max(0, seconds), { outcome });
    },
    reservationsExpired(count) {
      expired ??= meter.createCounter('reservations_expired_total', { description: 'Reservations expired unconfirmed' });
      expired.add(count);
    },
    observeGauge,
    async prometheusText() {
      const { resourceMetrics } = await scrape.collect();
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}
