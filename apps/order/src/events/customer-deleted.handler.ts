import { defineHandler, type EventHandler } from '@shop/events';
import { deleteCustomer } from '../db/read-models.queries';

/** `customer.deleted` → the customer is unknown here (401); its orders stay, readable by support. */
export function customerDeletedHandler(): EventHandler<'customer.deleted'> {
  return defineHandler<'customer.deleted'>({
    topic: 'customer.deleted',
    async handle(tx, { payload }) {
      await deleteCustomer(tx, payload.customer_id);
    },
  });
}
