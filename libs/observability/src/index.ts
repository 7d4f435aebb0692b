export { createLogger, type Logger, type LoggerOptions } from './logger';
export { currentLogContext, runWithLogContext, type LogContext } from './log-context';
export {
  childTraceContext,
  formatTraceparent,
  parseCloudTraceContext,
  parseTraceparent,
  type TraceContext,
} from './trace-context';
