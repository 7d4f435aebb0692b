import { fail, type DomainError } from '@shop/contracts';
import { inTransaction, type PrismaClient } from '@shop/db';
import { deleteSubscription, lockCustomerSubscriptions, trimSubscriptions, upsertSubscription, type SubscriptionRow } from '../db/subscriptions.queries';
import { endpointRefusal } from '../webpush/endpoint-address';
import { isAllowedHost, type SubscribeBody } from './subscription';

/**
 * Browsers a customer may have subscribed at once; subscribing one more unsubscribes the least recently
 * subscribed. Bounds what one notification fans out to, and what one customer can make the service store.
 */
export const MAX_SUBSCRIPTIONS_PER_CUSTOMER = 10;

function refusedEndpoint(message: string): DomainError {
  return fail.validation('The subscription cannot be used.', [{ field: 'endpoint', message }]);
}

/**
 * Saves the customer's browser subscription (idempotent by endpoint: subscribing it again refreshes it) and
 * removes their oldest beyond `MAX_SUBSCRIPTIONS_PER_CUSTOMER`, in one transaction under the customer's lock, so
 * concurrent subscribes never leave more. The service will POST to the endpoint, so it must name an allowed push
 * service: over https, unless every host is allowed (development), and, unless `allowPrivateNetworks` (development
 * and test), over https and not at a non-public address.
 */
export async function subscribe(
  prisma: PrismaClient,
  input: { customerId: string; body: SubscribeBody; allowedHosts: readonly string[]; allowPrivateNetworks: boolean },
): Promise<SubscriptionRow> {
  const url = new URL(input.body.endpoint);
  const refusal = endpointRefusal(url, input);
  if (refusal) throw refusedEndpoint(refusal);
  if (!isAllowedHost(url.hostname, input.allowedHosts)) throw refusedEndpoint(`${url.hostname} is not a push service this shop sends to`);
  if (url.protocol !== 'https:' && !input.allowedHosts.includes('*')) throw refusedEndpoint('must be an https URL');
  if (url.username || url.password) throw refusedEndpoint('must not carry credentials');
  const { expirationTime } = input.body;
  return inTransaction(prisma, async (tx) => {
    await lockCustomerSubscriptions(tx, input.customerId);
    const row = await upsertSubscription(tx, {
      customerId: input.customerId,
      endpoint: input.body.endpoint,
      p256dh: input.body.keys.p256dh,
      auth: input.body.keys.auth,
      expiresAt: expirationTime === null || expirationTime === undefined ? null : new Date(expirationTime),
    });
    await trimSubscriptions(tx, input.customerId, { keep: MAX_SUBSCRIPTIONS_PER_CUSTOMER, kept: row.subscriptionId });
    return row;
  });
}

/** Removes the customer's subscription of `endpoint`; another customer's, or none, is not found. */
export async function unsubscribe(prisma: PrismaClient, customerId: string, endpoint: string): Promise<void> {
  if (!(await deleteSubscription(prisma, customerId, endpoint))) throw fail.notFound('No such push subscription.');
}
