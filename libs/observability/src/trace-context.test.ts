import { describe, expect, it } from 'vitest';
import { childTraceContext, formatTraceparent, parseCloudTraceContext, parseTraceparent } from './trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('parses a valid header, sampled or not', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: false });
    expect(parseTraceparent(` 00-${TRACE}-${SPAN}-03 `)).toMatchObject({ sampled: true });
  });

  it('accepts a later version with extra fields, as the spec asks', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-what-the-future-holds`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['garbage', 'hello'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with extra fields', `00-${TRACE}-${SPAN}-01-extra`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['a long parent id', `00-${TRACE}-${SPAN}0-01`],
    ['non-hex characters', `00-${TRACE.slice(0, -1)}g-${SPAN}-01`],
    ['missing flags', `00-${TRACE}-${SPAN}`],
    ['other separators', `00_${TRACE}_${SPAN}_01`],
  ])('rejects %s', (_label, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

describe('parseCloudTraceContext', () => {
  it('parses TRACE_ID/SPAN_ID;o=1 with a decimal span id', () => {
    expect(parseCloudTraceContext(`${TRACE}/1;o=1`)).toEqual({ traceId: TRACE, spanId: '0000000000000001', sampled: true });
    expect(parseCloudTraceContext(`${TRACE.toUpperCase()}/18446744073709551615;o=0`)).toEqual({
      traceId: TRACE,
      spanId: 'ffffffffffffffff',
      sampled: false,
    });
  });

  it('makes up a span when none (or zero) is given', () => {
    expect(parseCloudTraceContext(TRACE)).toMatchObject({ traceId: TRACE, spanId: expect.stringMatching(/^[0-9a-f]{16}$/), sampled: false });
    expect(parseCloudTraceContext(`${TRACE}/0;o=1`)?.spanId).not.toBe('0000000000000000');
  });

  it.each([undefined, '', 'nope', `${'0'.repeat(32)}/1;o=1`, `${TRACE}z/1`])('rejects %j', (header) => {
    expect(parseCloudTraceContext(header)).toBeUndefined();
  });
});

describe('childTraceContext / formatTraceparent', () => {
  it('keeps the trace and sampling of the parent with a new span', () => {
    const child = childTraceContext({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(child.traceId).toBe(TRACE);
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe(SPAN);
    expect(child.sampled).toBe(true);
  });

  it('starts a new unsampled trace without a parent', () => {
    const root = childTraceContext(undefined);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.sampled).toBe(false);
  });

  it('gives every new trace and span ids of their own, also across refills of the random pool', () => {
    // 1,000 roots take 24 KB of random bytes: six refills of the 4 KiB pool.
    const roots = Array.from({ length: 1_000 }, () => childTraceContext(undefined));
    expect(new Set(roots.map((r) => r.traceId)).size).toBe(1_000);
    expect(new Set(roots.map((r) => r.spanId)).size).toBe(1_000);
    for (const r of roots) {
      expect(r.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(r.spanId).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('formats a header that parses back to the same context', () => {
    const ctx = childTraceContext(undefined);
    expect(parseTraceparent(formatTraceparent(ctx))).toEqual(ctx);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, sampled: true })).toBe(`00-${TRACE}-${SPAN}-01`);
  });
});
