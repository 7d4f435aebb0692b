import type { HttpApp } from '@shop/http';
import { createServiceApp, type AppContext } from '@shop/service';

/** The cart service. Carts: lines, checkout, and the checkout outcome. */
export function createApp(context: AppContext): HttpApp {
  return createServiceApp(context, { service: 'cart', description: 'Carts: lines, checkout, and the checkout outcome.' });
}
