import { defineHandler } from '@shop/events';
import { forgetCustomer } from '../domain/customers';

/** `customer.deleted` → a tombstone in the read model, dated by the event; e-mails waiting for an address fail. */
export function customerDeletedHandler() {
  return defineHandler<'customer.deleted'>({
    topic: 'customer.deleted',
    async handle(tx, event) {
      await forgetCustomer(tx, event.payload, event.attributes.occurred_at);
    },
  });
}
