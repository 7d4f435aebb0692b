import type { Hono } from 'hono';
import { z } from 'zod';
import { customerIdOf, decodeCursor, defineRoute, fail, pageQuerySchema, toPage, type AppEnv } from '@shop/http';
import {
  CHANNELS,
  ManualNotificationBody,
  NOTIFICATION_TYPES,
  NotificationResource,
  STATUSES,
  toNotificationResource,
} from '../domain/notification';
import { getNotification, listNotifications, sendManualNotification, type NotificationStore } from '../domain/notifications';

const IdParams = z.object({ id: z.guid() });
export const NotificationListQuery = pageQuerySchema.extend({
  customer_id: z
    .guid({ error: 'must be a UUID' })
    .transform((id) => id.toLowerCase())
    .optional(),
  type: z.enum(NOTIFICATION_TYPES, { error: `must be one of ${NOTIFICATION_TYPES.join(', ')}` }).optional(),
  channel: z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }).optional(),
  status: z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` }).optional(),
});
export const NotificationCursor = z.object({ c: z.iso.datetime(), id: z.guid() });
const NotificationPage = z.object({ items: z.array(NotificationResource), next_cursor: z.string().nullable() });

const problems = {
  400: { description: 'Malformed request' },
  401: { description: 'Missing or unknown credentials' },
  403: { description: 'The token lacks the needed role' },
} as const;

/** `/notifications`: support reads and writes across customers; a customer reads their own. */
export function registerNotificationRoutes(app: Hono<AppEnv>, store: NotificationStore): void {
  const { prisma } = store;

  defineRoute(
    app,
    {
      method: 'get',
      path: '/notifications',
      summary: 'List notifications, newest first (support or admin: all, with filters; a customer: their own)',
      tags: ['notifications'],
      access: { customer: true, staff: ['support'] },
      query: NotificationListQuery,
      responses: { 200: { description: 'A page of notifications', schema: NotificationPage }, ...problems, 422: { description: 'Bad query' } },
    },
    async (c, { query }) => {
      const before = query.cursor ? decodeCursor(query.cursor, NotificationCursor) : undefined;
      if (query.cursor && !before) throw fail.validation('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this list' }]);
      const own = customerIdOf(c.get('principal'));
      // A customer filtering on someone else gets an empty page: their own notifications that are someone else's.
      if (own && query.customer_id && query.customer_id !== own) return c.json({ items: [], next_cursor: null });
      const rows = await listNotifications(prisma, {
        limit: query.limit,
        customerId: own ?? query.customer_id,
        type: query.type,
        channel: query.channel,
        status: query.status,
        before: before && { createdAt: new Date(before.c), notificationId: before.id },
      });
      return c.json(toPage(rows, query.limit, toNotificationResource, (r) => ({ c: r.createdAt.toISOString(), id: r.notificationId })));
    },
  );

  defineRoute(
    app,
    {
      method: 'get',
      path: '/notifications/:id',
      summary: 'Read a notification (its customer, support or admin)',
      tags: ['notifications'],
      access: { customer: true, staff: ['support'] },
      params: IdParams,
      responses: { 200: { description: 'The notification', schema: NotificationResource }, ...problems, 404: { description: 'No such notification' } },
    },
    async (c, { params }) => {
      const row = await getNotification(prisma, params.id.toLowerCase(), customerIdOf(c.get('principal')));
      return c.json(toNotificationResource(row));
    },
  );

  defineRoute(
    app,
    {
      method: 'post',
      path: '/notifications',
      summary: 'Send a customer a message on every channel they can receive (support or admin); answers the e-mail notification',
      tags: ['notifications'],
      access: { staff: ['support'] },
      idempotent: true,
      body: ManualNotificationBody,
      responses: {
        201: { description: 'Created: the e-mail notification', schema: NotificationResource },
        ...problems,
        409: { description: 'The same Idempotency-Key is still being processed' },
        422: { description: 'Invalid body, or an unknown customer' },
      },
    },
    async (c, { body }) => {
      const notification = toNotificationResource(await sendManualNotification(store, body));
      c.header('Location', `/notifications/${notification.notification_id}`);
      return c.json(notification, 201);
    },
  );
}
