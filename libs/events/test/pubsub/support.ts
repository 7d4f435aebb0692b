import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Hono } from 'hono';
import { createHttpApp, type AppEnv } from '@shop/http';
import { testLogger, testServiceConfig } from '@shop/testing';
import type { Database } from '@shop/db';
import { subscriptionsOf } from '@shop/contracts';
import {
  createConsumer,
  createPublisher,
  registerDeadLetterIntakeRoute,
  registerDeadLetterRoutes,
  registerPushRoute,
  type Consumer,
  type IncomingMessage,
  type PushOptions,
} from '../../src';
import { PRODUCT_STOCK_CHANGED, stockChangedHandler } from '../fixtures';

export const PROJECT = 'test-project';
export const AUDIENCE = 'https://product-abc123-ew.a.run.app';
export const PUSH_SERVICE_ACCOUNT = 'pubsub-push@test-project.iam.gserviceaccount.com';
export const KEY_ID = 'test-key-1';

/** An RSA key pair standing in for Google's signing key, and the certificates a verifier trusts. */
export interface TestSigner {
  certs: Record<string, string>;
  /** A signed RS256 ID token shaped like the ones Pub/Sub push sends, with `claims` overriding the defaults. */
  token(claims?: Record<string, unknown>, options?: { kid?: string; key?: KeyObject }): string;
}

export function createTestSigner(): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    certs: { [KEY_ID]: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    token(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', kid: options.kid ?? KEY_ID };
      const payload = {
        iss: 'https://accounts.google.com',
        aud: AUDIENCE,
        azp: '1234567890',
        sub: '1234567890',
        email: PUSH_SERVICE_ACCOUNT,
        email_verified: true,
        iat: now,
        exp: now + 3600,
        ...claims,
      };
      const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
      const signature = sign('sha256', Buffer.from(signed), options.key ?? privateKey).toString('base64url');
      return `${signed}.${signature}`;
    },
  };
}

export function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A push request body exactly as Pub/Sub wraps a message. */
export function pushBody(message: IncomingMessage, options: { subscription?: string; project?: string; deliveryAttempt?: number } = {}): string {
  return JSON.stringify({
    message: {
      data: Buffer.from(message.data).toString('base64'),
      attributes: message.attributes,
      messageId: message.messageId ?? String(Math.floor(Math.random() * 1e12)),
      publishTime: new Date().toISOString(),
    },
    subscription: `projects/${options.project ?? PROJECT}/subscriptions/${options.subscription ?? PRODUCT_STOCK_CHANGED.name}`,
    ...(options.deliveryAttempt ? { deliveryAttempt: options.deliveryAttempt } : {}),
  });
}

export function pushRequest(body: string, token?: string): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body };
}

/** The product service's `stock.changed` consumer behind `POST /pubsub/push`, as an app without a socket. */
export function pushApp(
  db: Database,
  options: { push: PushOptions; poison?: Set<string>; batch?: { maxMessages: number; maxWaitMs: number } },
): { app: Hono<AppEnv>; consumer: Consumer } {
  const logger = testLogger();
  const consumer = createConsumer({ db, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger });
  consumer.register(
    { ...PRODUCT_STOCK_CHANGED, ...(options.batch ? { batch: options.batch } : {}) },
    stockChangedHandler(options.poison, { batch: Boolean(options.batch) }),
  );
  const { app } = createHttpApp({
    service: 'product',
    version: 'test',
    logger,
    identity: { adminToken: testServiceConfig.ADMIN_API_TOKEN, supportToken: testServiceConfig.SUPPORT_API_TOKEN, isKnownCustomer: async () => false },
    readiness: {},
  });
  registerPushRoute(app, { consumer, logger, push: options.push });
  return { app, consumer };
}

/**
 * The product service's `stock.changed` consumer with its admin dead-letter routes and `POST
 * /pubsub/dead-letters`, as an app without a socket.
 */
export function deadLetterApp(db: Database, options: { push: PushOptions; poison?: Set<string> }): { app: Hono<AppEnv>; consumer: Consumer } {
  const logger = testLogger();
  const consumer = createConsumer({ db, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger });
  consumer.register(PRODUCT_STOCK_CHANGED, stockChangedHandler(options.poison));
  const { app } = createHttpApp({
    service: 'product',
    version: 'test',
    logger,
    identity: { adminToken: testServiceConfig.ADMIN_API_TOKEN, supportToken: testServiceConfig.SUPPORT_API_TOKEN, isKnownCustomer: async () => false },
    readiness: {},
  });
  registerDeadLetterRoutes(app, consumer);
  registerDeadLetterIntakeRoute(app, { deadLetters: consumer.deadLetters, subscriptions: subscriptionsOf('product'), logger, push: options.push });
  return { app, consumer };
}

/** What the product service has written: if all three are zero, a request changed nothing. */
export async function footprint(db: Database): Promise<{ processed: number; deadLetters: number; effects: number }> {
  const { rows } = await db.pool.query<{ processed: number; dead_letters: number; effects: number }>(`SELECT
    (SELECT count(*)::int FROM product.processed_messages) AS processed,
    (SELECT count(*)::int FROM product.dead_letters) AS dead_letters,
    (SELECT count(*)::int FROM product.test_effects) AS effects`);
  const row = rows[0]!;
  return { processed: row.processed, deadLetters: row.dead_letters, effects: row.effects };
}

export async function resetProduct(db: Database): Promise<void> {
  await db.pool.query('TRUNCATE product.test_effects, product.processed_messages, product.dead_letters');
}

/** Polls `condition` until it holds; the emulator's deliveries take their own time, so each caller names its limit. */
export async function until(timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
