import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';

export interface CloudMonitoringOptions {
  /** The project the time series are written to; inferred from the metadata server when omitted. */
  projectId?: string;
  /** Cloud Monitoring accepts a point per time series every 5 s at most; a minute is its usual resolution. */
  exportIntervalMs?: number;
}

/**
 * A reader that sends a service's metrics to Cloud Monitoring (as `workload.googleapis.com/<name>`), for
 * `createServiceMetrics({ readers })` on Google Cloud. The exporter (googleapis, several MiB) is imported
 * only here, so that a service running anywhere else never loads it.
 */
export async function cloudMonitoringReader(options: CloudMonitoringOptions = {}): Promise<IMetricReader> {
  const { MetricExporter } = await import('@google-cloud/opentelemetry-cloud-monitoring-exporter');
  return new PeriodicExportingMetricReader({
    exporter: new MetricExporter(options.projectId ? { projectId: options.projectId } : {}),
    exportIntervalMillis: options.exportIntervalMs ?? 60_000,
  });
}
