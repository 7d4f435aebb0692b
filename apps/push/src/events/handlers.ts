import type { EventHandler } from '@shop/events';
import { customerDeletedHandler } from './customer-deleted.handler';
import { customerUpsertedHandler } from './customer-upserted.handler';
import { pushRequestedHandler } from './push-requested.handler';

/** One handler per topic the topology routes to the push service. */
export function pushHandlers(): EventHandler[] {
  return [pushRequestedHandler(), customerUpsertedHandler(), customerDeletedHandler()];
}
