import type { Hono } from 'hono';
import { z } from 'zod';
import { defineRoute, type AppEnv } from '@shop/http';
import type { VapidKeys } from '../domain/vapid-keys';

const VapidPublicKey = z.object({ public_key: z.string() });

/** `GET /vapid-public-key`: the `applicationServerKey` a browser subscribes with. Public: it is a public key. */
export function registerVapidRoutes(app: Hono<AppEnv>, vapidKeys: VapidKeys): void {
  defineRoute(
    app,
    {
      method: 'get',
      path: '/vapid-public-key',
      summary: "The VAPID public key (base64url) to pass to PushManager.subscribe's applicationServerKey",
      tags: ['push'],
      responses: { 200: { description: 'The public key', schema: VapidPublicKey } },
    },
    async (c) => c.json({ public_key: (await vapidKeys.get()).publicKey }),
  );
}
