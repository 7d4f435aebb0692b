import type { Hono } from 'hono';
import { z } from 'zod';
import { StorableString } from '@shop/contracts';
import { decodeCursor, defineRoute, DomainError, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import type { Consumer } from './consumer';
import { OUTBOX_DEAD_LETTER_SUBSCRIPTION, outboxRowIdOf, type OutboxDeadLetters } from './outbox-dead-letters';

// A consumer dead letter's number, or `outbox-<row id>` for an outbox row the transport kept refusing.
const IdParams = z.object({ id: z.string().regex(/^(outbox-)?\d{1,18}$/) });
const ListQuery = pageQuerySchema.extend({
  subscription: StorableString.min(1).optional(),
  include_replayed: z.enum(['true', 'false']).default('false'),
});
const Cursor = z.object({ id: z.string().regex(/^(outbox-)?\d{1,18}$/) });
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
 * `GET /admin/dead-letters` and `POST /admin/dead-letters/:id/replay`, on every service (admin only). Exempt
 * from the rate limit: recovering from an incident must not wait on the admin token's allowance. With
 * `outbox`, the outbox rows the transport kept refusing are listed too (first, as `outbox-<id>` under the
 * subscription `outbox`), and replaying one puts it back to pending for the relay.
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
      if (!consumer.subscriptions().some((s) => s.name === row.subscription)) {
        throw new DomainError('validation', `No handler here for subscription "${row.subscription}": this message cannot be replayed.`);
      }
      // Replaying runs the same idempotent consumer: if the message was handled after all, it is a no-op.
      const [outcome] = await consumer.deliver(row.subscription, [{ attributes: row.attributes, data: row.data, deliveryAttempt: 1 }]);
      if (outcome?.status === 'dead-letter') {
        throw new DomainError('validation', `The message still cannot be handled: ${outcome.reason}.`, { extensions: { reason: outcome.reason } });
      }
      if (outcome?.status !== 'ack') {
        throw fail.conflict(`The handler failed again: ${outcome?.status === 'retry' ? outcome.error : 'unknown error'}`);
      }
      await store.markReplayed(params.id);
      const replayed = await store.get(params.id);
      return c.json({ ...replayed!, outcome: outcome.duplicate ? 'duplicate' : 'processed' });
    },
  );
}
