import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { customerExists } from './db/customers.queries';
import { registerCustomerRoutes } from './routes/customers.routes';

/** The customer service: the system's customers, their names and e-mail addresses. */
export function createApp(context: AppContext): HttpApp {
  const http = createServiceApp(context, {
    service: 'customer',
    description: 'Customers: identities the other services learn from customer events.',
    isKnownCustomer: (id) => customerExists(context.db.prisma, id),
  });
  registerCustomerRoutes(http.app, { prisma: context.db.prisma, publish: context.events.publish });
  return http;
}
