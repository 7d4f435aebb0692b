import { defineHandler } from '@shop/events';
import { currentTraceparent } from '@shop/observability';
import { insertMessage } from '../db/messages.queries';
import { messageIdFor } from '../domain/email-message';

/**
 * `email.requested`: records the message in the sent-mail log, in the consumer's transaction, and nothing else.
 * Sending happens after the commit (the mailer, woken by the NOTIFY the insert sends): an SMTP conversation
 * inside this transaction could be rolled back after the server accepted the mail, and the redelivery would
 * send it again. A second request for the same notification (a redelivery with another event id) records
 * nothing, so it is sent once.
 */
export function emailRequestedHandler(options: { from: string }) {
  return defineHandler<'email.requested'>({
    topic: 'email.requested',
    async handle(tx, event) {
      const p = event.payload;
      await insertMessage(tx, {
        notificationId: p.notification_id,
        customerId: p.customer_id,
        eventId: event.attributes.event_id,
        correlationId: event.attributes.correlation_id,
        traceparent: currentTraceparent() ?? null,
        sender: options.from,
        recipient: p.to,
        subject: p.subject,
        text: p.text,
        html: p.html,
        messageId: messageIdFor(p.notification_id, options.from),
      });
    },
  });
}
