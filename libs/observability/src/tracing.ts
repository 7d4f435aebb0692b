import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { telemetryApiTraceExporter } from './telemetry-api';

/** Where spans go: an OTLP/HTTP collector, Google Cloud Trace (through the Telemetry API's OTLP endpoint), or nowhere (no SDK is loaded at all). */
export type TraceExporterKind = 'otlp' | 'cloud-trace' | 'none';

export interface TracingOptions {
  service: string;
  version: string;
  /** A kind, or an exporter of the caller's (tests: an in-memory one), which then gets each span as it ends. */
  exporter: TraceExporterKind | SpanExporter;
  /** The Google Cloud project Cloud Trace writes to; by default the one the credentials name. */
  projectId?: string | undefined;
  /** With `cloud-trace`: another base URL than the Telemetry API's (tests). */
  telemetryEndpoint?: string;
  /** Share of new traces recorded (a caller's sampled flag decides for continued ones); 1 records all. */
  sampleRatio?: number;
}

/** The environment that decides the exporter (the service env schema's fields of the same names). */
export interface TraceExportEnv {
  TRACE_EXPORTER?: TraceExporterKind | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  /** Set by Cloud Run on every service. */
  K_SERVICE?: string | undefined;
  GOOGLE_CLOUD_PROJECT?: string | undefined;
}

/**
 * DESIGN.md "Seeing inside": OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, Cloud Trace on Google Cloud
 * (Cloud Run sets `K_SERVICE`), nothing otherwise; `TRACE_EXPORTER` overrides the guess either way.
 */
export function traceExporterOf(env: TraceExportEnv): TraceExporterKind {
  if (env.TRACE_EXPORTER) return env.TRACE_EXPORTER;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return 'otlp';
  if (env.K_SERVICE && env.GOOGLE_CLOUD_PROJECT) return 'cloud-trace';
  return 'none';
}

/** The SDK in use, read by the span helpers; undefined while nothing is exported. */
export interface ActiveTracing {
  api: typeof OtelApi;
  tracer: OtelApi.Tracer;
}

let active: ActiveTracing | undefined;

export function activeTracing(): ActiveTracing | undefined {
  return active;
}

export interface Tracing {
  /** Flushes the spans not exported yet and turns tracing off. */
  shutdown(): Promise<void>;
}

const NOTHING: Tracing = { shutdown: async () => undefined };

// Loaded by our ESM bundle through `import` before any of this runs, so the instrumentations' require hooks
// never saw them. Requiring them once more through those hooks patches the shared CommonJS exports (pg's
// Client and Pool prototypes, http's Server.prototype.emit), which the ESM imports use too.
const PATCHED_THROUGH_REQUIRE = ['http', 'https', 'pg', 'pg-pool'];

/**
 * Starts OpenTelemetry for this process: a tracer provider exporting to the chosen place, W3C trace context,
 * and the HTTP server and pg instrumentations. Call once, early (runService does). With no exporter it loads
 * nothing: the span helpers then only carry `traceparent` along, as before tracing, at no cost.
 */
export async function setupTracing(options: TracingOptions): Promise<Tracing> {
  if (options.exporter === 'none') return NOTHING;
  if (active) throw new Error('tracing is already set up in this process');
  const [api, core, resources, node, instrumentation, httpInstrumentation, pgInstrumentation] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  const exporter = typeof options.exporter === 'object' ? options.exporter : await exporterOf(options.exporter, options.projectId, options.telemetryEndpoint);
  const processor = typeof options.exporter === 'object' ? new node.SimpleSpanProcessor(exporter) : new node.BatchSpanProcessor(exporter);
  const provider = new node.NodeTracerProvider({
    resource: resources.resourceFromAttributes({
      'service.name': options.service,
      'service.version': options.version,
      // The Telemetry API files spans under the project this attribute names.
      ...(options.projectId ? { 'gcp.project_id': options.projectId } : {}),
    }),
    sampler: new node.ParentBasedSampler({ root: new node.TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new core.W3CTraceContextPropagator() });
  const disable = instrumentation.registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new httpInstrumentation.HttpInstrumentation({
        // Probes arrive every few seconds and say nothing about a checkout.
        ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz)(\?|$)/.test(request.url ?? ''),
      }),
      // Only inside a trace: the relay's and queues' polling would otherwise start a trace every few seconds.
      new pgInstrumentation.PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  const require = createRequire(import.meta.url);
  for (const name of PATCHED_THROUGH_REQUIRE) require(name);
  active = { api, tracer: api.trace.getTracer('@shop/observability', options.version) };
  return {
    async shutdown() {
      active = undefined;
      disable();
      await provider.shutdown();
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}

async function exporterOf(kind: 'otlp' | 'cloud-trace', projectId: string | undefined, telemetryEndpoint: string | undefined): Promise<SpanExporter> {
  if (kind === 'otlp') {
    // Reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS, _TIMEOUT…) itself, as every OpenTelemetry SDK does.
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  return telemetryApiTraceExporter({ projectId, ...(telemetryEndpoint ? { endpoint: telemetryEndpoint } : {}) });
}
