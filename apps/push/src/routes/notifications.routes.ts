import type { Hono } from 'hono';
import { z } from 'zod';
import type { PrismaClient } from '@shop/db';
import { decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import { listNotifications } from '../db/notifications.queries';
import { PushNotificationResource, toNotificationResource } from '../domain/notification';

const Params = z.object({ customerId: z.guid() });
const Cursor = z.object({ c: z.iso.datetime(), id: z.guid() });
const NotificationPage = z.object({ items: z.array(PushNotificationResource), next_cursor: z.string().nullable() });

/** `GET /notifications/:customerId`: what was pushed to a customer, newest first; the customer itself or support. */
export function registerNotificationRoutes(app: Hono<AppEnv>, deps: { prisma: PrismaClient }): void {
  defineRoute(
    app,
    {
      method: 'get',
      path: '/notifications/:customerId',
      summary: 'What was pushed to a customer (the customer itself, support or admin)',
      tags: ['push'],
      access: { customer: true, staff: ['support'] },
      params: Params,
      query: pageQuerySchema,
      responses: {
        200: { description: 'A page of pushed notifications', schema: NotificationPage },
        400: { description: 'X-Customer-Id is not a UUID' },
        401: { description: 'Missing or unknown credentials' },
        404: { description: "Another customer's notifications" },
        422: { description: 'Bad query' },
      },
    },
    async (c, { params, query }) => {
      const customerId = params.customerId.toLowerCase();
      const principal = c.get('principal');
      // Another customer's notifications do not exist as far as this caller knows: 404, not 403.
      if (principal.kind === 'customer' && principal.customerId !== customerId) throw fail.notFound(`No notifications for customer ${params.customerId}.`);
      const before = query.cursor ? decodeCursor(query.cursor, Cursor) : undefined;
      if (query.cursor && !before) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const rows = await listNotifications(deps.prisma, {
        customerId,
        limit: query.limit,
        before: before && { createdAt: new Date(before.c), notificationId: before.id },
      });
      return c.json(toPage(rows, query.limit, toNotificationResource, (r) => ({ c: r.createdAt.toISOString(), id: r.notificationId })));
    },
  );
}
