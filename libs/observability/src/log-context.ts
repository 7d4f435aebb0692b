import { AsyncLocalStorage } from 'node:async_hooks';
import type { TraceContext } from './trace-context';

/** What every log line written while handling one request (or one message) carries. */
export interface LogContext {
  requestId?: string;
  trace?: TraceContext;
  [field: string]: unknown;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `context` attached to every log line written inside it, across awaits. */
export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
