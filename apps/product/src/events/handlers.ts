import type { EventHandler } from '@shop/events';
import { stockChangedHandler } from './stock-changed.handler';

/** Every handler of the product service: one per topic it consumes. */
export function productHandlers(): EventHandler[] {
  return [stockChangedHandler()];
}
