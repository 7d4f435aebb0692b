import { inTransaction, type PrismaClient } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { fail } from '@shop/contracts';
import { findCustomer, lockCustomer } from '../db/customers.queries';
import { listDeliveries, type DeliveryRow } from '../db/deliveries.queries';
import { findNotification, listNotificationRows, type NotificationFilters } from '../db/notifications.queries';
import type { ManualNotificationBody, NotificationRow } from './notification';
import { createNotifications } from './notify';

/** What the notification use cases behind HTTP need: the database and the outbox. */
export interface NotificationStore {
  prisma: PrismaClient;
  publish: PublishFn;
}

/**
 * A support agent's message: one notification per channel, published in one transaction (the push one is
 * withdrawn once the push service reports that the customer has no push subscription). Answers the e-mail
 * notification. An unknown or deleted customer is a reference to nothing: `422`, and nothing is written.
 * `formId` (the console's form) makes a second submission of the same form answer the first one's notification.
 */
export async function sendManualNotification(store: NotificationStore, body: ManualNotificationBody, formId?: string): Promise<NotificationRow> {
  return inTransaction(store.prisma, async (tx) => {
    await lockCustomer(tx, body.customer_id);
    const customer = await findCustomer(tx, body.customer_id);
    if (!customer || customer.deletedAt || !customer.email) {
      throw fail.validation(`Customer ${body.customer_id} is not known.`, [{ field: 'customer_id', message: 'unknown customer' }]);
    }
    const rows = await createNotifications(tx, {
      customerId: body.customer_id,
      input: { type: 'manual', subject: body.subject, text: body.text },
      orderId: null,
      ...(formId ? { causeId: formId } : {}),
    });
    return rows.find((r) => r.channel === 'email')!;
  });
}

/** A notification the caller may see: all for staff, their own for a customer (another's does not exist: 404). */
export async function getNotification(prisma: PrismaClient, notificationId: string, ownerOnly?: string): Promise<NotificationRow> {
  const row = await findNotification(prisma, notificationId);
  if (!row || (ownerOnly !== undefined && row.customerId !== ownerOnly)) throw fail.notFound(`Notification ${notificationId} does not exist.`);
  return row;
}

export function listNotifications(
  prisma: PrismaClient,
  options: NotificationFilters & { limit: number; before?: { createdAt: Date; notificationId: string } },
): Promise<NotificationRow[]> {
  return listNotificationRows(prisma, options);
}

export function deliveryHistory(prisma: PrismaClient, notificationId: string): Promise<DeliveryRow[]> {
  return listDeliveries(prisma, notificationId);
}
