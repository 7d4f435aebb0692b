import { z } from 'zod';

/** `limit` (1–200, default 50) and an opaque `cursor`, as every list in DESIGN.md takes them. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number({ error: 'limit must be an integer from 1 to 200' }).int('limit must be an integer from 1 to 200').min(1, 'limit must be an integer from 1 to 200').max(200, 'limit must be an integer from 1 to 200').default(50),
  cursor: z.string().min(1).optional(),
});

/** A list response. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Cursors are base64url JSON: opaque to clients, typed for us. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a cursor against the shape the list expects; `undefined` when it is not one of ours. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.infer<S> | undefined {
  try {
    const result = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keyset pagination helper: given `limit + 1` rows, returns the page and the cursor for the next one.
 * Fetching one extra row tells whether there is a next page without a count.
 */
export function toPage<Row, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item, cursorOf: (row: Row) => unknown): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { items: pageRows.map(toItem), next_cursor: hasMore && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}
