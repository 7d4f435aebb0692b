import type { Hono } from 'hono';
import { z } from 'zod';
import type { PrismaClient } from '@shop/db';
import { decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import { findMessage, listMessages } from '../db/messages.queries';
import { MessageResource, MessageStatus, toMessageResource } from '../domain/email-message';
import type { Mailbox } from '../smtp/mail-catcher';

const IdParams = z.object({ id: z.guid() });
const ListQuery = pageQuerySchema.extend({ customer_id: z.guid().transform((id) => id.toLowerCase()).optional(), status: MessageStatus.optional() });
const Cursor = z.object({ c: z.iso.datetime(), id: z.guid() });
const MessagePage = z.object({ items: z.array(MessageResource), next_cursor: z.string().nullable() });

const problems = {
  401: { description: 'Missing or unknown credentials' },
  403: { description: 'The token lacks the needed role' },
} as const;

/**
 * `/messages`: the sent-mail log, for support and admin. With the embedded catcher (no SMTP_URL), the raw
 * message as the catcher received it is readable too.
 */
export function registerMessageRoutes(app: Hono<AppEnv>, deps: { prisma: PrismaClient; mailbox?: Mailbox | undefined }): void {
  const { prisma, mailbox } = deps;

  async function messageOrFail(id: string) {
    const row = await findMessage(prisma, id.toLowerCase());
    if (!row) throw fail.notFound(`No e-mail was requested for notification ${id}.`);
    return row;
  }

  defineRoute(
    app,
    {
      method: 'get',
      path: '/messages',
      summary: 'List the sent-mail log, newest first (support or admin)',
      tags: ['messages'],
      access: { staff: ['support'] },
      query: ListQuery,
      responses: { 200: { description: 'A page of e-mails', schema: MessagePage }, ...problems, 422: { description: 'Bad query' } },
    },
    async (c, { query }) => {
      const before = query.cursor ? decodeCursor(query.cursor, Cursor) : undefined;
      if (query.cursor && !before) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const rows = await listMessages(prisma, {
        limit: query.limit,
        customerId: query.customer_id,
        status: query.status,
        before: before && { createdAt: new Date(before.c), notificationId: before.id },
      });
      return c.json(toPage(rows, query.limit, toMessageResource, (r) => ({ c: r.createdAt.toISOString(), id: r.notificationId })));
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/messages/:id',
      summary: "Read one e-mail of the log by its notification's id (support or admin)",
      tags: ['messages'],
      access: { staff: ['support'] },
      params: IdParams,
      responses: { 200: { description: 'The e-mail', schema: MessageResource }, ...problems, 404: { description: 'No such e-mail' } },
    },
    async (c, { params }) => c.json(toMessageResource(await messageOrFail(params.id))),
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/messages/:id/raw',
      summary: 'The message as the embedded mail catcher received it, RFC 5322 (support or admin; development only)',
      tags: ['messages'],
      access: { staff: ['support'] },
      params: IdParams,
      responses: {
        200: { description: 'The raw message', contentType: 'message/rfc822' },
        ...problems,
        404: { description: 'No such e-mail, or it went to a real SMTP server' },
      },
    },
    async (c, { params }) => {
      const row = await messageOrFail(params.id);
      const caught = mailbox?.find(row.messageId);
      if (!caught) throw fail.notFound(`The e-mail of notification ${params.id} was not caught here (it goes to SMTP_URL, or was not sent yet).`);
      return c.body(new Uint8Array(caught.raw), 200, {
        'Content-Type': 'message/rfc822',
        'Content-Disposition': `inline; filename="${row.notificationId}.eml"`,
      });
    },
  );
}
