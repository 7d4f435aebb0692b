import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { customerIsKnown } from './db/read-models.queries';
import { registerOrderRoutes } from './routes/orders.routes';

/** The order service. Orders and buy-now requests: creates orders from reserved stock, cancels them. */
export function createApp(context: AppContext): HttpApp {
  const http = createServiceApp(context, {
    service: 'order',
    description: 'Orders and buy-now requests: creates orders from reserved stock, cancels them.',
    // Known = in the order service's read model of customers, kept from customer.upserted / customer.deleted.
    isKnownCustomer: (id) => customerIsKnown(context.db.prisma, id),
  });
  registerOrderRoutes(http.app, { prisma: context.db.prisma, publish: context.events.publish });
  return http;
}
