import { defineHandler, type EventHandler } from '@shop/events';
import { orderCustomers } from '../db/read-models.queries';

/**
 * `customer.deleted` → the customer is unknown here (401), kept as a tombstone so that an older
 * `customer.upserted` handled after it cannot make the customer known again; its orders stay, readable by support.
 */
export function customerDeletedHandler(): EventHandler<'customer.deleted'> {
  return defineHandler<'customer.deleted'>({
    topic: 'customer.deleted',
    async handle(tx, { payload, attributes }) {
      await orderCustomers.delete(tx, payload.customer_id, attributes.occurred_at);
    },
  });
}
