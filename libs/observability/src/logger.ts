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
  /** What Error Reporting files errors under: the Cloud Run revision, else the configured SERVICE_VERSION. */
  version?: string;
  level?: LevelWithSilent;
  /** Google Cloud project, so that trace ids become links in Cloud Logging. */
  projectId?: string;
  /** Where lines go; stdout, written synchronously, by default. */
  destination?: DestinationStream;
}

// Severity ERROR and above (pino 50+): only these become Error Reporting events.
const ERROR_LEVEL = 50;

/**
 * A JSON logger in Cloud Logging's structured shape: `severity`, `message`, `time`, and the trace fields
 * Cloud Logging joins to Cloud Trace. Every line inside a request carries its `request_id` and trace.
 * Errors go under `err` (`logger.error({ err }, '…')`, or `logger.error(err)`); an ERROR or CRITICAL line
 * with one also carries what Cloud Error Reporting groups by (cloud.google.com/error-reporting/docs/
 * formatting-error-messages): the JavaScript stack in `stack_trace` and `serviceContext` {service, version}.
 * Error lines without a stack (a 5xx access log, a dead-letter notice) stay log lines: alerts watch those.
 */
export function createLogger(options: LoggerOptions): Logger {
  const serviceContext = { service: options.service, ...(options.version ? { version: options.version } : {}) };
  const traceName = (traceId: string) =>
    options.projectId ? `projects/${options.projectId}/traces/${traceId}` : traceId;
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      // One key for errors whichever way they are passed, the one every call site uses and `npm start` prints.
      errorKey: 'err',
      // A stray `{ error }` still serialises (an Error's own fields are not enumerable: it would print as {}).
      serializers: { error: pino.stdSerializers.err },
      base: { service: options.service, version: options.version },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
      mixin(fields, level) {
        const report = level >= ERROR_LEVEL ? errorReport(fields, serviceContext) : {};
        const ctx = currentLogContext();
        if (!ctx) return report;
        const { requestId, trace, ...rest } = ctx;
        return {
          ...report,
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

/** Error Reporting's fields for a line whose `err` (or `error`) has a stack; nothing otherwise. */
function errorReport(fields: object, serviceContext: { service: string; version?: string }): Record<string, unknown> {
  const { err, error } = fields as { err?: unknown; error?: unknown };
  const stack = stackOf(err) ?? stackOf(error);
  return stack ? { stack_trace: stack, serviceContext } : {};
}

function stackOf(value: unknown): string | undefined {
  // Duck-typed: an error from another realm or library is not always `instanceof Error`.
  const stack = value !== null && typeof value === 'object' ? (value as { stack?: unknown }).stack : undefined;
  // A stack Error Reporting can parse starts with the "Name: message" line and has at least one frame.
  return typeof stack === 'string' && /\n\s+at /.test(stack) ? stack : undefined;
}
