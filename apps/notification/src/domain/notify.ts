import { randomUUID } from 'node:crypto';
import type { Prisma, Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { findCustomer, lockCustomer, type CustomerRow } from '../db/customers.queries';
import { insertDelivery, recordedOutcomes } from '../db/deliveries.queries';
import { applyOutcome, findNotification, insertNotification, type NewNotification } from '../db/notifications.queries';
import { notificationIdFor } from './notification-id';
import { CHANNELS, type Channel, type NotificationRow } from './notification';
import { renderNotification, type Rendered, type TemplateInput } from './templates';

/** Why a notification cannot be delivered to a customer `customer.deleted` removed. */
export const CUSTOMER_DELETED = 'The customer was deleted.';

export interface NotifyRequest {
  customerId: string;
  input: TemplateInput;
  orderId: string | null;
  /**
   * What caused it: an event's id, or the id of the console form that was submitted. The notifications get ids
   * derived from it, so the same cause never notifies twice. Absent: new random ids.
   */
  causeId?: string;
}

/** The cart or order the notification belongs to, as DESIGN.md's `correlation_id` asks; else the customer. */
export function correlationOf(input: TemplateInput, customerId: string): string {
  switch (input.type) {
    case 'order_confirmed':
    case 'order_cancelled':
      return input.order_id;
    case 'stock_rejected':
      return input.cart_id ?? input.request_id;
    case 'manual':
      return customerId;
  }
}

function content(channel: Channel, rendered: Rendered): Pick<NewNotification, 'subject' | 'text' | 'html' | 'url'> {
  return channel === 'email'
    ? { subject: rendered.email.subject, text: rendered.email.text, html: rendered.email.html, url: null }
    : { subject: rendered.push.title, text: rendered.push.text, html: null, url: rendered.push.url ?? null };
}

/** Publishes `email.requested`, and notes the request in the notification's history. */
export async function requestEmail(
  tx: Tx,
  publish: PublishFn,
  n: { notificationId: string; customerId: string; to: string; input: TemplateInput; rendered: Rendered; at: Date },
): Promise<void> {
  const eventId = await publish(
    tx,
    'email.requested',
    { notification_id: n.notificationId, customer_id: n.customerId, to: n.to, ...n.rendered.email },
    { correlationId: correlationOf(n.input, n.customerId) },
  );
  await insertDelivery(tx, { notificationId: n.notificationId, channel: 'email', outcome: 'requested', attempt: null, error: null, eventId, occurredAt: n.at });
}

async function requestPush(
  tx: Tx,
  publish: PublishFn,
  n: { notificationId: string; customerId: string; input: TemplateInput; rendered: Rendered; at: Date },
): Promise<void> {
  const { title, text, url } = n.rendered.push;
  const eventId = await publish(
    tx,
    'push.requested',
    { notification_id: n.notificationId, customer_id: n.customerId, title, text, ...(url ? { url } : {}) },
    { correlationId: correlationOf(n.input, n.customerId) },
  );
  await insertDelivery(tx, { notificationId: n.notificationId, channel: 'push', outcome: 'requested', attempt: null, error: null, eventId, occurredAt: n.at });
}

/**
 * Creates one notification per channel (e-mail and push) for the customer and, in the caller's transaction,
 * publishes what delivers them:
 * - e-mail goes to the address learned from `customer.upserted`; for a customer not known yet it stays
 *   `pending` without a request, and `customer.upserted` requests it (see `learnCustomer`);
 * - push is always requested: subscriptions belong to the push service and no event tells this one about
 *   them; for a customer without any, the push service answers `push.failed` marked `no_subscription`, which
 *   withdraws (deletes) the push notification, so in the end only the channels the customer can receive remain
 *   (see `recordDeliveryOutcome`);
 * - for a deleted customer both are created `failed`, and nothing is published.
 * Ids derived from the causing event make a second run for the same event create and publish nothing: the
 * e-mail notification is always created, so finding it means the cause was handled, and its push notification
 * is then not created again (it exists, or was withdrawn and must stay so).
 */
export async function createNotifications(tx: Tx, publish: PublishFn, request: NotifyRequest): Promise<NotificationRow[]> {
  const { customerId, input } = request;
  await lockCustomer(tx, customerId);
  const customer: CustomerRow | null = await findCustomer(tx, customerId);
  const deleted = customer?.deletedAt != null;
  const rendered = renderNotification(input, { name: customer?.name ?? null });
  const at = new Date();
  const rows: NotificationRow[] = [];
  let isHandledCause = false;
  for (const channel of CHANNELS) {
    const notificationId = request.causeId ? notificationIdFor(request.causeId, channel) : randomUUID();
    if (isHandledCause) {
      const row = await findNotification(tx, notificationId);
      if (row) rows.push(row);
      continue;
    }
    const address = channel === 'email' ? (customer?.email ?? null) : null;
    const willRequest = !deleted && (channel === 'push' || address !== null);
    const isNew = await insertNotification(tx, {
      notificationId,
      customerId,
      type: input.type,
      channel,
      status: deleted ? 'failed' : 'pending',
      ...content(channel, rendered),
      recipient: address,
      requestedAt: willRequest ? at : null,
      lastError: deleted ? CUSTOMER_DELETED : null,
      orderId: request.orderId,
      details: input as Prisma.InputJsonValue,
    });
    // CHANNELS lists e-mail first: an e-mail of this cause that already existed marks the whole cause handled.
    if (channel === 'email' && !isNew) isHandledCause = true;
    if (isNew && willRequest) {
      if (channel === 'email') await requestEmail(tx, publish, { notificationId, customerId, to: address!, input, rendered, at });
      else await requestPush(tx, publish, { notificationId, customerId, input, rendered, at });
    }
    if (isNew) await applyRecordedOutcomes(tx, notificationId, channel);
    const row = await findNotification(tx, notificationId);
    if (row) rows.push(row);
  }
  return rows;
}

/** Outcomes recorded before their notification existed are applied once it does, in the order they happened. */
async function applyRecordedOutcomes(tx: Tx, notificationId: string, channel: Channel): Promise<void> {
  for (const o of await recordedOutcomes(tx, notificationId, channel)) {
    await applyOutcome(tx, {
      notificationId,
      channel,
      outcome: o.outcome as 'delivered' | 'failed',
      attempt: o.attempt ?? 1,
      error: o.error,
      occurredAt: o.occurredAt,
    });
  }
}
