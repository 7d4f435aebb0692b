import { defineHandler, type EventHandler } from '@shop/events';
import { orderCustomers } from '../db/read-models.queries';

/** `customer.upserted` → the customer is known here: `X-Customer-Id` with its id is accepted. */
export function customerUpsertedHandler(): EventHandler<'customer.upserted'> {
  return defineHandler<'customer.upserted'>({
    topic: 'customer.upserted',
    async handle(tx, { payload, attributes }) {
      await orderCustomers.upsert(tx, { customerId: payload.customer_id, name: payload.name, email: payload.email }, attributes.occurred_at);
    },
  });
}
