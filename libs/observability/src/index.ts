export { createLogger, type Logger, type LoggerOptions } from './logger';
export { currentLogContext, runWithLogContext, type LogContext } from './log-context';
export {
  childTraceContext,
  formatTraceparent,
  parseCloudTraceContext,
  parseTraceparent,
  type TraceContext,
} from './trace-context';
export {
  currentSpanTrace,
  currentTraceparent,
  describeCurrentSpan,
  inSpan,
  producerTraceparent,
  runInTrace,
  startSpan,
  type OpenSpan,
  type SpanAttributes,
  type SpanHandle,
  type SpanKindName,
  type SpanOptions,
} from './spans';
export { setupTracing, traceExporterOf, type TraceExportEnv, type TraceExporterKind, type Tracing, type TracingOptions } from './tracing';
export { cloudMonitoringReader, type CloudMonitoringOptions } from './cloud-monitoring';
export {
  createServiceMetrics,
  type ConsumeOutcome,
  type GaugeName,
  type GaugeReader,
  type GaugeReading,
  type ServiceMetrics,
  type ServiceMetricsOptions,
} from './metrics';
