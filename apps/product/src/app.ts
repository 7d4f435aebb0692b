import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';

/** The product service. The catalog: products, prices, and the availability inventory publishes. */
export function createApp(context: AppContext): HttpApp {
  return createServiceApp(context, { service: 'product', description: 'The catalog: products, prices, and the availability inventory publishes.' });
}
