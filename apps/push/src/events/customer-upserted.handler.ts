import { defineHandler } from '@shop/events';
import { pushCustomers } from '../db/customers.queries';

/** `customer.upserted`: the customer is known here, so its X-Customer-Id is accepted. */
export function customerUpsertedHandler() {
  return defineHandler<'customer.upserted'>({
    topic: 'customer.upserted',
    async handle(tx, event) {
      await pushCustomers.upsert(tx, { customerId: event.payload.customer_id, name: event.payload.name, email: event.payload.email }, event.attributes.occurred_at);
    },
  });
}
