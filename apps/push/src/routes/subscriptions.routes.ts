import type { Hono } from 'hono';
import type { PrismaClient } from '@shop/db';
import { defineRoute, type AppEnv } from '@shop/http';
import { SubscribeBody, SubscriptionResource, toSubscriptionResource, UnsubscribeBody } from '../domain/subscription';
import { subscribe, unsubscribe } from '../domain/subscriptions';

const problems = {
  400: { description: 'Malformed request or X-Customer-Id' },
  401: { description: 'Missing or unknown customer' },
} as const;

/** `/subscriptions`: a customer's browsers register for Web Push, and unregister. */
export function registerSubscriptionRoutes(app: Hono<AppEnv>, deps: { prisma: PrismaClient; allowedHosts: readonly string[]; allowPrivateNetworks: boolean }): void {
  const { prisma, allowedHosts, allowPrivateNetworks } = deps;

  defineRoute(
    app,
    {
      method: 'post',
      path: '/subscriptions',
      summary: "Subscribe a browser (its PushSubscription.toJSON()); repeating it is harmless. 201 without Location (DESIGN.md's one exception)",
      tags: ['push'],
      access: { customer: true },
      body: SubscribeBody,
      responses: { 201: { description: 'Subscribed', schema: SubscriptionResource }, ...problems, 422: { description: 'Not a usable subscription' } },
    },
    async (c, { body }) => {
      const principal = c.get('principal');
      const customerId = principal.kind === 'customer' ? principal.customerId : '';
      const row = await subscribe(prisma, { customerId, body, allowedHosts, allowPrivateNetworks });
      return c.json(toSubscriptionResource(row), 201);
    },
  );

  defineRoute(
    app,
    {
      method: 'delete',
      path: '/subscriptions',
      summary: "Unsubscribe one of the customer's browsers by its endpoint",
      tags: ['push'],
      access: { customer: true },
      body: UnsubscribeBody,
      responses: { 204: { description: 'Unsubscribed' }, ...problems, 404: { description: 'The customer has no such subscription' }, 422: { description: 'Invalid body' } },
    },
    async (c, { body }) => {
      const principal = c.get('principal');
      await unsubscribe(prisma, principal.kind === 'customer' ? principal.customerId : '', body.endpoint);
      return c.body(null, 204);
    },
  );
}
