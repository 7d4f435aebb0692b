import { randomFillSync } from 'node:crypto';

/** W3C trace context (https://www.w3.org/TR/trace-context/): the parts this system carries along. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

// version-traceid-parentid-flags, lowercase hex only; a later version may append `-…` fields (W3C §3.2, §4.3).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a `traceparent` header; undefined for anything malformed, for version `ff`, for extra fields in
 * version `00`, and for an all-zero trace or parent id (the spec says to ignore such a header).
 */
export function parseTraceparent(header: string | null | undefined): TraceContext | undefined {
  const m = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** Parses Google's legacy `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1` (the span id is decimal). */
export function parseCloudTraceContext(header: string | null | undefined): TraceContext | undefined {
  const m = header ? /^([0-9a-f]{32})(?:\/(\d+))?(?:;o=([01]))?(?:;.*)?$/i.exec(header.trim()) : null;
  if (!m?.[1] || /^0+$/.test(m[1])) return undefined;
  const span = m[2] ? BigInt(m[2]) & 0xffff_ffff_ffff_ffffn : 0n;
  // Span 0 is no span: the next hop would reject a traceparent carrying it.
  const spanId = span ? span.toString(16).padStart(16, '0') : randomHex(8);
  return { traceId: m[1].toLowerCase(), spanId, sampled: m[3] === '1' };
}

// Random ids from a pool filled 4 KiB at a time: a call to the system's generator per id cost more than the
// rest of a request's trace handling (bench:http's profile). The same generator, fewer calls.
const POOL_BYTES = 4096;
const randomPool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** `bytes` random bytes as lowercase hex. */
function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(randomPool);
    used = 0;
  }
  const hex = randomPool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

/** Continues an incoming trace with a new span of ours, or starts a new trace. */
export function childTraceContext(parent: TraceContext | undefined): TraceContext {
  return {
    traceId: parent?.traceId ?? randomHex(16),
    spanId: randomHex(8),
    sampled: parent?.sampled ?? false,
  };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}
