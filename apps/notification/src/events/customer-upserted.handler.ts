import { defineHandler } from '@shop/events';
import { learnCustomer } from '../domain/customers';

/** `customer.upserted` → the read model of customers; releases e-mails that waited for the address. */
export function customerUpsertedHandler() {
  return defineHandler<'customer.upserted'>({
    topic: 'customer.upserted',
    async handle(tx, event, ctx) {
      await learnCustomer(tx, ctx.publish, event.payload, event.attributes.occurred_at);
    },
  });
}
