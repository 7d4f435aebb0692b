import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';

/** The order service. Orders and buy-now requests: creates orders from reserved stock, cancels them. */
export function createApp(context: AppContext): HttpApp {
  return createServiceApp(context, { service: 'order', description: 'Orders and buy-now requests: creates orders from reserved stock, cancels them.' });
}
