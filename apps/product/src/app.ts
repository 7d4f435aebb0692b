import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';
import { registerProductRoutes } from './routes/products.routes';

/** The product service. The catalog: products, prices, and the availability inventory publishes. */
export function createApp(context: AppContext): HttpApp {
  const http = createServiceApp(context, { service: 'product', description: 'The catalog: products, prices, and the availability inventory publishes.' });
  registerProductRoutes(http.app, { prisma: context.db.prisma, publish: context.events.publish });
  return http;
}
