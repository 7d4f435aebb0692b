import webpush from 'web-push';
import type { PrismaClient } from '@shop/db';
import { storeOrReadVapidKeys } from '../db/vapid-keys.queries';

export interface VapidKeyPair {
  publicKey: string;
  privateKey: string;
}

/** The application server's VAPID key pair (RFC 8292): the one browsers subscribe with, the one pushes are signed with. */
export interface VapidKeys {
  get(): Promise<VapidKeyPair>;
}

/**
 * The configured pair, or else one generated on first use and kept in the push schema: every instance, and
 * every restart, signs with the key that existing subscriptions were made against (a new key would orphan them).
 */
export function createVapidKeys(prisma: PrismaClient, configured?: VapidKeyPair): VapidKeys {
  let stored: Promise<VapidKeyPair> | undefined;
  return {
    get() {
      if (configured) return Promise.resolve(configured);
      stored ??= storeOrReadVapidKeys(prisma, webpush.generateVAPIDKeys()).catch((err: unknown) => {
        stored = undefined;
        throw err;
      });
      return stored;
    },
  };
}

/** The configured pair from the environment, when both halves are set. */
export function configuredVapidKeys(env: { VAPID_PUBLIC_KEY?: string | undefined; VAPID_PRIVATE_KEY?: string | undefined }): VapidKeyPair | undefined {
  return env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY ? { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY } : undefined;
}
