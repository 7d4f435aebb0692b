import type { Hono } from 'hono';
import { z } from 'zod';
import { StorableString, TOPIC_NAMES, UtcTimestamp } from '@shop/contracts';
import { decodeCursor, defineRoute, DomainError, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import type { Consumer } from './consumer';
import { replayDeadLetter, replayDeadLetters } from './dead-letter-replay';
import { OUTBOX_DEAD_LETTER_SUBSCRIPTION, outboxRowIdOf, type OutboxDeadLetters } from './outbox-dead-letters';

// A consumer dead letter's number, or `outbox-<row id>` for an outbox row the transport kept refusing.
const IdParams = z.object({ id: z.string().regex(/^(outbox-)?\d{1,18}$/) });
const ListQuery = pageQuerySchema.extend({
  subscription: StorableString.min(1).optional(),
  include_replayed: z.enum(['true', 'false']).default('false'),
});
const Cursor = z.object({ id: z.string().regex(/^(outbox-)?\d{1,18}$/) });
const BulkReplayBody = z
  .strictObject({ topic: z.enum(TOPIC_NAMES).optional(), since: UtcTimestamp.optional() })
  .refine((b) => b.topic !== undefined || b.since !== undefined, { error: 'give a topic, a since, or both' });
const DeadLetterResource = z.object({
  id: z.string(),
  subscription: z.string(),
  event_id: z.string().nullable(),
  topic: z.string().nullable(),
  attributes: z.record(z.string(), z.string()),
  data: z.string(),
  reason: z.string(),
  last_error: z.string(),
  attempts: z.number().int(),
  dead_lettered_at: z.string(),
  replayed_at: z.string().nullable(),
});

/**
 * `GET /admin/dead-letters`, `POST /admin/dead-letters/:id/replay` and `POST /admin/dead-letters/replay`
 * (bulk), on every service (admin only). Exempt from the rate limit: recovering from an incident must not
 * wait on the admin token's allowance. With `outbox`, the outbox rows the transport kept refusing are listed
 * too (first, as `outbox-<id>` under the subscription `outbox`), and replaying one puts it back to pending for
 * the relay; the bulk replay covers the consumer's dead letters.
 */
export function registerDeadLetterRoutes(app: Hono<AppEnv>, consumer: Consumer, sources: { outbox?: OutboxDeadLetters } = {}): void {
  const store = consumer.deadLetters;
  const { outbox } = sources;
  defineRoute(
    app,
    {
      method: 'get',
      path: '/admin/dead-letters',
      summary: 'List dead-lettered messages (admin)',
      tags: ['admin'],
      access: { staff: ['admin'] },
      rateLimited: false,
      query: ListQuery,
      responses: { 200: { description: 'A page of dead letters', schema: z.object({ items: z.array(DeadLetterResource), next_cursor: z.string().nullable() }) } },
    },
    async (c, { query }) => {
      const after = query.cursor ? decodeCursor(query.cursor, Cursor) : undefined;
      if (query.cursor && !after) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const afterOutboxRow = after && outboxRowIdOf(after.id);
      const rows =
        outbox && (!query.subscription || query.subscription === OUTBOX_DEAD_LETTER_SUBSCRIPTION) && (!after || afterOutboxRow)
          ? await outbox.list({ limit: query.limit + 1, afterRowId: afterOutboxRow })
          : [];
      if (rows.length <= query.limit && query.subscription !== OUTBOX_DEAD_LETTER_SUBSCRIPTION) {
        rows.push(
          ...(await store.list({
            limit: query.limit + 1 - rows.length,
            afterId: afterOutboxRow ? undefined : after?.id,
            subscription: query.subscription,
            includeReplayed: query.include_replayed === 'true',
          })),
        );
      }
      return c.json(toPage(rows, query.limit, (r) => r, (r) => ({ id: r.id })));
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/admin/dead-letters/:id',
      summary: 'Read one dead letter (admin)',
      tags: ['admin'],
      access: { staff: ['admin'] },
      rateLimited: false,
      params: IdParams,
      responses: { 200: { description: 'The dead letter', schema: DeadLetterResource }, 404: { description: 'No such dead letter' } },
    },
    async (c, { params }) => {
      const outboxRowId = outboxRowIdOf(params.id);
      const row = outboxRowId ? await outbox?.get(outboxRowId) : await store.get(params.id);
      if (!row) throw fail.notFound(`Dead letter ${params.id} does not exist.`);
      return c.json(row);
    },
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/admin/dead-letters/:id/replay',
      summary: 'Hand a dead letter to its handler again (admin)',
      tags: ['admin'],
      access: { staff: ['admin'] },
      rateLimited: false,
      params: IdParams,
      responses: {
        200: {
          description: 'Handled (or found already handled): the dead letter, now marked replayed; an outbox row is `requeued` for the relay',
          schema: DeadLetterResource.extend({ outcome: z.enum(['processed', 'duplicate', 'requeued']) }),
        },
        404: { description: 'No such dead letter' },
        409: { description: 'The handler failed again; the dead letter stays' },
        422: { description: 'The message is still undecodable or invalid' },
      },
    },
    async (c, { params }) => {
      const outboxRowId = outboxRowIdOf(params.id);
      if (outboxRowId) {
        const requeued = await outbox?.replay(outboxRowId);
        if (!requeued) throw fail.notFound(`Dead letter ${params.id} does not exist.`);
        return c.json({ ...requeued, outcome: 'requeued' as const });
      }
      const row = await store.get(params.id);
      if (!row) throw fail.notFound(`Dead letter ${params.id} does not exist.`);
      const result = await replayDeadLetter(consumer, row);
      if (!result.ok) {
        if (result.failure === 'handler_failed') throw fail.conflict(result.detail);
        throw new DomainError('validation', result.detail, result.reason ? { extensions: { reason: result.reason } } : undefined);
      }
      const replayed = await store.get(params.id);
      return c.json({ ...replayed!, outcome: result.outcome });
    },
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/admin/dead-letters/replay',
      // Each as the single replay does, oldest first; what fails again stays listed, so a repeat replays nothing new.
      summary: 'Replay every not-yet-replayed dead letter of a `topic` and/or dead-lettered `since` a moment (admin)',
      tags: ['admin'],
      access: { staff: ['admin'] },
      rateLimited: false,
      body: BulkReplayBody,
      responses: {
        200: { description: 'How many were replayed (handled, or found handled already) and how many failed again', schema: z.object({ replayed: z.number().int(), failed: z.number().int() }) },
        422: { description: 'Neither `topic` nor `since`, an unknown field, an unknown topic or a `since` that is not RFC 3339' },
      },
    },
    async (c, { body }) => c.json(await replayDeadLetters(consumer, body)),
  );
}
