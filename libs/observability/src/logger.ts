import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { currentLogContext } from './log-context';

export type { Logger };

// pino level → Cloud Logging LogSeverity (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry).
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export interface LoggerOptions {
  service: string;
  version?: string;
  level?: LevelWithSilent;
  /** Google Cloud project, so that trace ids become links in Cloud Logging. */
  projectId?: string;
  /** Where lines go; stdout, written synchronously, by default. */
  destination?: DestinationStream;
}

/**
 * A JSON logger in Cloud Logging's structured shape: `severity`, `message`, `time`, and the trace fields
 * Cloud Logging joins to Cloud Trace. Every line inside a request carries its `request_id` and trace.
 */
export function createLogger(options: LoggerOptions): Logger {
  const traceName = (traceId: string) =>
    options.projectId ? `projects/${options.projectId}/traces/${traceId}` : traceId;
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      errorKey: 'error',
      base: { service: options.service, version: options.version },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
      mixin() {
        const ctx = currentLogContext();
        if (!ctx) return {};
        const { requestId, trace, ...rest } = ctx;
        return {
          ...rest,
          ...(requestId ? { request_id: requestId } : {}),
          ...(trace
            ? {
                'logging.googleapis.com/trace': traceName(trace.traceId),
                'logging.googleapis.com/spanId': trace.spanId,
                'logging.googleapis.com/trace_sampled': trace.sampled,
              }
            : {}),
        };
      },
    },
    // Synchronous stdout: lines stay in order, and none is lost when shutdown ends in process.exit().
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
