export { createLogger, type Logger, type LoggerOptions } from './logger';
export { currentLogContext, runWithLogContext, type LogContext } from './log-context';
export {
  childTraceContext,
  formatTraceparent,
  parseCloudTraceContext,
  parseTraceparent,
  type TraceContext,
} from './trace-context';
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
