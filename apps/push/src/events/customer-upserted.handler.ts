import { defineHandler } from '@shop/events';
import { upsertCustomer } from '../db/customers.queries';

/** `customer.upserted`: the customer is known here, so its X-Customer-Id is accepted. */
export function customerUpsertedHandler() {
  return defineHandler<'customer.upserted'>({
    topic: 'customer.upserted',
    handle: (tx, event) => upsertCustomer(tx, event.payload.customer_id, event.attributes.occurred_at),
  });
}
