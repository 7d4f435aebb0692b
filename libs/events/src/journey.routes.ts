import type { Hono } from 'hono';
import { z } from 'zod';
import { StorableString } from '@shop/contracts';
import { decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import type { JourneyEvents } from './journey-events';

const EventsQuery = pageQuerySchema.extend({ correlation_id: StorableString.min(1).max(200) });
const Cursor = z.object({ at: z.iso.datetime(), key: z.string().min(1).max(400) });
const JourneyEventResource = z.object({
  event_id: z.string().nullable(),
  topic: z.string().nullable(),
  direction: z.enum(['published', 'consumed']),
  subscription: z.string().nullable(),
  occurred_at: z.string().nullable(),
  handled_at: z.string().nullable(),
  outcome: z.enum(['published', 'pending', 'set_aside', 'handled', 'dead_lettered']),
  reason: z.string().nullable(),
});

/**
 * `GET /admin/events?correlation_id=…` on every service (support or admin): the events this service published
 * and consumed for one correlation id (a cart id, a buy-now request id, an order id), oldest first. The
 * support console gathers every service's answer into one journey (DESIGN.md "Seeing inside").
 */
export function registerJourneyRoutes(app: Hono<AppEnv>, journey: JourneyEvents): void {
  defineRoute(
    app,
    {
      method: 'get',
      path: '/admin/events',
      summary: 'List the events this service published and consumed for a correlation id (support or admin)',
      tags: ['admin'],
      access: { staff: ['support'] },
      query: EventsQuery,
      responses: {
        200: { description: 'A page of events, ordered by time', schema: z.object({ items: z.array(JourneyEventResource), next_cursor: z.string().nullable() }) },
        422: { description: 'No `correlation_id`, or a bad `limit` or `cursor`' },
      },
    },
    async (c, { query }) => {
      const after = query.cursor ? decodeCursor(query.cursor, Cursor) : undefined;
      if (query.cursor && !after) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const rows = await journey.list({ correlationId: query.correlation_id, limit: query.limit + 1, after });
      return c.json(
        toPage(
          rows,
          query.limit,
          ({ position: _position, ...item }) => item,
          (row) => row.position,
        ),
      );
    },
  );
}
