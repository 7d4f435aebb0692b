import type { Context, Span, SpanKind } from '@opentelemetry/api';
import { currentLogContext, runWithLogContext } from './log-context';
import { formatTraceparent, parseTraceparent, type TraceContext } from './trace-context';
import { activeTracing, type ActiveTracing } from './tracing';

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanOptions {
  kind: SpanKindName;
  /** A remote parent's W3C traceparent (a message's); by default the current span, or the current trace. */
  parent?: string | undefined;
  attributes?: SpanAttributes;
}

/** What code inside a span may tell it. */
export interface SpanHandle {
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed, with the error as an exception event. */
  fail(error: unknown): void;
}

/** A span that is not made current: the caller ends it. */
export interface OpenSpan extends SpanHandle {
  /** The span's `traceparent`, for what is created on its behalf outside its context (undefined without tracing). */
  readonly traceparent: string | undefined;
  end(): void;
}

// The numeric values of @opentelemetry/api's SpanKind, so that this file needs the API only once it is loaded.
const KINDS: Record<SpanKindName, SpanKind> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };

const NO_SPAN: OpenSpan = { traceparent: undefined, setAttributes: () => undefined, fail: () => undefined, end: () => undefined };

/**
 * Runs `fn` inside a new span, current for everything it awaits (pg queries, published events, log lines).
 * Without tracing there is no span: `fn` runs in the parent's trace, so what it publishes carries the
 * parent's `traceparent` on as before.
 */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: SpanHandle) => Promise<T>): Promise<T> {
  const otel = activeTracing();
  if (!otel) return withTrace(parseTraceparent(options.parent), () => fn(NO_SPAN));
  const parent = parentContext(otel, options.parent);
  const span = otel.tracer.startSpan(name, { kind: KINDS[options.kind], attributes: defined(options.attributes) }, parent);
  const handle = handleOf(span);
  try {
    return await otel.api.context.with(otel.api.trace.setSpan(parent, span), () => withTrace(traceOf(span), () => fn(handle)));
  } catch (err) {
    handle.fail(err);
    throw err;
  } finally {
    span.end();
  }
}

/** Starts a span the caller ends (a span per message of a batch); a no-op without tracing. */
export function startSpan(name: string, options: SpanOptions): OpenSpan {
  const otel = activeTracing();
  if (!otel) return NO_SPAN;
  const span = otel.tracer.startSpan(name, { kind: KINDS[options.kind], attributes: defined(options.attributes) }, parentContext(otel, options.parent));
  return { ...handleOf(span), traceparent: formatTraceparent(traceOf(span)), end: () => span.end() };
}

/**
 * The `traceparent` a message written now carries. With tracing, that of a new (already ended) PRODUCER span,
 * so each consumer's span is a child of the event's creation; without, the current trace's, as before.
 * `cause` names the parent when it is not the current one: an event a batch handler writes for one of its messages.
 */
export function producerTraceparent(name: string, attributes: SpanAttributes, cause?: string): string | undefined {
  const otel = activeTracing();
  if (!otel) return cause ?? currentTraceparent();
  const span = otel.tracer.startSpan(name, { kind: KINDS.producer, attributes: defined(attributes) }, parentContext(otel, cause));
  span.end();
  return formatTraceparent(traceOf(span));
}

/** Runs `fn` in the trace `traceparent` names, without a span of its own (work resumed from a stored row). */
export function runInTrace<T>(traceparent: string | null | undefined, fn: () => Promise<T>): Promise<T> {
  const trace = parseTraceparent(traceparent);
  const otel = activeTracing();
  if (!otel || !trace) return withTrace(trace, fn);
  return otel.api.context.with(parentContext(otel, traceparent ?? undefined), () => withTrace(trace, fn));
}

/** The current trace's `traceparent` (the current span's, with tracing), to store with work done later. */
export function currentTraceparent(): string | undefined {
  const trace = currentLogContext()?.trace;
  return trace && formatTraceparent(trace);
}

/** The trace context of the current OpenTelemetry span (an HTTP server span), when tracing is on and one is current. */
export function currentSpanTrace(): TraceContext | undefined {
  const span = activeTracing()?.api.trace.getActiveSpan();
  return span && traceOf(span);
}

/** Renames the current span and sets its attributes (the server span, once the router knows the route). */
export function describeCurrentSpan(name: string, attributes: SpanAttributes): void {
  const span = activeTracing()?.api.trace.getActiveSpan();
  span?.updateName(name);
  span?.setAttributes(defined(attributes));
}

function withTrace<T>(trace: TraceContext | undefined, fn: () => Promise<T>): Promise<T> {
  return trace ? runWithLogContext({ trace }, fn) : fn();
}

/**
 * The parent of a new span: the remote one named, else the current span, else the current trace of the log
 * context (a request served without a socket has a trace but no server span).
 */
function parentContext({ api }: ActiveTracing, traceparent: string | undefined): Context {
  const remote = parseTraceparent(traceparent);
  if (remote) return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContextOf(remote));
  const current = api.context.active();
  if (api.trace.getSpan(current)) return current;
  const trace = currentLogContext()?.trace;
  return trace ? api.trace.setSpanContext(current, spanContextOf(trace)) : current;
}

function spanContextOf(trace: TraceContext) {
  return { traceId: trace.traceId, spanId: trace.spanId, traceFlags: trace.sampled ? 1 : 0, isRemote: true };
}

function traceOf(span: Span): TraceContext {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { traceId, spanId, sampled: (traceFlags & 1) === 1 };
}

function handleOf(span: Span): SpanHandle {
  return {
    setAttributes: (attributes) => void span.setAttributes(defined(attributes)),
    fail(error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: 2, message: error instanceof Error ? error.message : String(error) });
    },
  };
}

function defined(attributes: SpanAttributes | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) if (value !== undefined) out[key] = value;
  return out;
}
