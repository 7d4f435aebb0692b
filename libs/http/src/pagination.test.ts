import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor, pageQuerySchema, toPage } from './pagination';

describe('pageQuerySchema', () => {
  it('defaults limit to 50 and leaves cursor unset', () => {
    expect(pageQuerySchema.parse({})).toEqual({ limit: 50 });
  });

  it.each(['1', '50', '200'])('accepts limit=%s', (limit) => {
    expect(pageQuerySchema.parse({ limit }).limit).toBe(Number(limit));
  });

  it.each(['0', '201', '-1', '1.5', 'abc', ''])('refuses limit=%j', (limit) => {
    const result = pageQuerySchema.safeParse({ limit });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['limit']);
  });

  it('refuses an empty cursor', () => {
    expect(pageQuerySchema.safeParse({ cursor: '' }).success).toBe(false);
  });
});

describe('encodeCursor / decodeCursor', () => {
  const Cursor = z.object({ c: z.iso.datetime(), id: z.uuid() });
  const value = { c: '2026-01-02T03:04:05.678Z', id: '0b7f3c1e-7c5a-4a4e-9d3b-2f1a6f1c9e11' };

  it('round-trips a value through an opaque, URL-safe string', () => {
    const cursor = encodeCursor(value);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, Cursor)).toEqual(value);
  });

  it.each([
    ['garbage', '!!!not base64!!!'],
    ['base64 that is not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of another shape', encodeCursor({ page: 2 })],
    ['JSON null', encodeCursor(null)],
  ])('answers undefined for %s', (_label, cursor) => {
    expect(decodeCursor(cursor, Cursor)).toBeUndefined();
  });
});

describe('toPage', () => {
  const rows = [1, 2, 3, 4, 5].map((n) => ({ n }));
  const page = (input: { n: number }[], limit: number) => toPage(input, limit, (r) => ({ value: r.n }), (r) => ({ after: r.n }));

  it('returns limit items and a cursor after the last one when a further row exists', () => {
    const result = page(rows.slice(0, 3), 2);
    expect(result.items).toEqual([{ value: 1 }, { value: 2 }]);
    expect(decodeCursor(result.next_cursor!, z.object({ after: z.number() }))).toEqual({ after: 2 });
  });

  it('returns next_cursor null on the last page', () => {
    expect(page(rows.slice(0, 2), 2)).toEqual({ items: [{ value: 1 }, { value: 2 }], next_cursor: null });
    expect(page([], 2)).toEqual({ items: [], next_cursor: null });
  });

  it('walks a list page by page without gaps or repeats', () => {
    const seen: number[] = [];
    let after = 0;
    for (let guard = 0; guard < 10; guard++) {
      const result = page(rows.filter((r) => r.n > after).slice(0, 3), 2);
      seen.push(...result.items.map((i) => i.value));
      if (!result.next_cursor) break;
      after = decodeCursor(result.next_cursor, z.object({ after: z.number() }))!.after;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
