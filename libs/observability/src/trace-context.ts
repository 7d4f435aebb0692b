import { randomBytes } from 'node:crypto';

/** W3C trace context (https://www.w3.org/TR/trace-context/): the parts this system carries along. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a `traceparent` header; undefined for anything malformed or all-zero (the spec says ignore it). */
export function parseTraceparent(header: string | null | undefined): TraceContext | undefined {
  const m = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!m || m[1] === 'ff') return undefined;
  const [, , traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** Parses Google's legacy `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`. */
export function parseCloudTraceContext(header: string | null | undefined): TraceContext | undefined {
  const m = header ? /^([0-9a-f]{32})(?:\/(\d+))?(?:;o=([01]))?/i.exec(header.trim()) : null;
  if (!m?.[1]) return undefined;
  const spanId = m[2] ? BigInt(m[2]).toString(16).padStart(16, '0').slice(-16) : randomBytes(8).toString('hex');
  return { traceId: m[1].toLowerCase(), spanId, sampled: m[3] === '1' };
}

/** Continues an incoming trace with a new span of ours, or starts a new trace. */
export function childTraceContext(parent: TraceContext | undefined): TraceContext {
  return {
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    sampled: parent?.sampled ?? false,
  };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}
