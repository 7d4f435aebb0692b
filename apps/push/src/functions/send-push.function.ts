import { subscriptionsOf } from '@shop/contracts';
import { createDeliveryFunction } from '@shop/service';
import { pushFunctionConfigSchema } from '../config';
import { pusherFor } from '../delivery/push-delivery';
import { configuredVapidKeys, createVapidKeys } from '../domain/vapid-keys';
import { pushRequestedHandler } from '../events/push-requested.handler';

const SPEC = subscriptionsOf('push').find((s) => s.topic === 'push.requested')!;

/**
 * The `sendPush` CloudEvent function (Pub/Sub-triggered on `push.requested`): records the notification and
 * pushes it at once, with the same handler and pusher as the service. It returns (Pub/Sub acknowledges) once
 * the notification is finished, and throws while some browser's push service failed for now, so that Pub/Sub
 * delivers the event again. Subscriptions and the customers read model stay the push service's: the function
 * only pushes to the subscriptions that service keeps, signed with the key pair it keeps.
 */
export const sendPush = createDeliveryFunction({
  service: 'push',
  subscription: SPEC,
  configSchema: pushFunctionConfigSchema,
  handler: () => pushRequestedHandler(),
  deliverer: ({ config, ...deps }) => pusherFor(config, { ...deps, vapidKeys: createVapidKeys(deps.db.prisma, configuredVapidKeys(config)) }),
  noun: 'push',
});
