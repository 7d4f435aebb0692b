import { randomUUID } from 'node:crypto';
import type { Prisma, Tx } from '@shop/db';
import type { EventEnvelope, TopicName } from '@shop/contracts';
import { envelopeOf, outboxValues, type PublishFn } from '@shop/events';
import { findCustomer, lockCustomer, type CustomerRow } from '../db/customers.queries';
import { insertDelivery, recordedOutcomes } from '../db/deliveries.queries';
import { applyOutcome, findNotification, insertNotificationsOfCause, type NewNotification } from '../db/notifications.queries';
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
      // As order itself publishes order.created (DESIGN.md): a cart checkout's journey is followed by its cart
      // id, a buy-now's by its request id.
      return input.cart_id ?? input.request_id ?? input.order_id;
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
export async function createNotifications(tx: Tx, request: NotifyRequest): Promise<NotificationRow[]> {
  const { customerId, input } = request;
  await lockCustomer(tx, customerId);
  const customer: CustomerRow | null = await findCustomer(tx, customerId);
  const deleted = customer?.deletedAt != null;
  const rendered = renderNotification(input, { name: customer?.name ?? null });
  const at = new Date();
  const ids = CHANNELS.map((channel) => (request.causeId ? notificationIdFor(request.causeId, channel) : randomUUID()));
  const [emailId, pushId] = ids as [string, string];
  const address = customer?.email ?? null;
  const rowOf = (channel: Channel, notificationId: string, recipient: string | null, willRequest: boolean): NewNotification => ({
    notificationId,
    customerId,
    type: input.type,
    channel,
    status: deleted ? 'failed' : 'pending',
    ...content(channel, rendered),
    recipient,
    requestedAt: willRequest ? at : null,
    lastError: deleted ? CUSTOMER_DELETED : null,
    orderId: request.orderId,
    details: input as Prisma.InputJsonValue,
  });
  const correlationId = correlationOf(input, customerId);
  // E-mail goes to a known address; push is always requested (see above); a deleted customer gets neither.
  const emailRequest =
    !deleted && address !== null
      ? envelopeOf('notification', 'email.requested', { notification_id: emailId, customer_id: customerId, to: address, ...rendered.email }, correlationId)
      : undefined;
  const { title, text, url } = rendered.push;
  const pushRequest = !deleted
    ? envelopeOf('notification', 'push.requested', { notification_id: pushId, customer_id: customerId, title, text, ...(url ? { url } : {}) }, correlationId)
    : undefined;
  const requestOf = (envelope: EventEnvelope<TopicName> | undefined) => (envelope ? { eventId: envelope.attributes.event_id, outbox: outboxValues(envelope) } : undefined);
  const created = await insertNotificationsOfCause(
    tx,
    { row: rowOf('email', emailId, address, emailRequest !== undefined), request: requestOf(emailRequest) },
    { row: rowOf('push', pushId, null, pushRequest !== undefined), request: requestOf(pushRequest) },
    at,
  );
  // The e-mail notification of this cause existed: the cause was handled before; show what it made.
  if (!created.email) return findNotifications(tx, ids);
  const rows = [created.email, created.push].filter((row): row is NotificationRow => row !== null);
  if (!created.hasRecordedOutcomes) return rows;
  for (const row of rows) await applyRecordedOutcomes(tx, row.notificationId, row.channel as Channel);
  return findNotifications(tx, rows.map((row) => row.notificationId));
}

/** The notifications with these ids that exist, in this order (one query at a time: they share the transaction). */
async function findNotifications(tx: Tx, ids: readonly string[]): Promise<NotificationRow[]> {
  const rows: NotificationRow[] = [];
  for (const id of ids) {
    const row = await findNotification(tx, id);
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
