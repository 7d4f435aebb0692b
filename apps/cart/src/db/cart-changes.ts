import type pg from 'pg';
import type { Tx } from '@shop/db';
import { DomainError } from '@shop/contracts';
import type { Logger } from '@shop/observability';

/** The NOTIFY channel on which every cart change is announced; the payload is the customer id. */
export const CART_CHANGES_CHANNEL = 'cart_changes';

/**
 * Announces that a customer's cart changed. Sent inside the changing transaction, so PostgreSQL delivers it
 * at commit to every listening process (every instance of the service) and drops it on rollback.
 */
export async function notifyCartChanged(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${CART_CHANGES_CHANNEL}, ${customerId})`;
}

/** A stream following one customer's cart. */
export interface CartSubscriber {
  /** The cart may have changed: read it again. */
  changed(): void;
  /** The feed is closing (the service drains): end the stream. */
  closed(): void;
}

/**
 * How many streams this process keeps open. Each open stream holds one of the instance's request slots (Cloud
 * Run's `max_instance_request_concurrency`) for as long as it lasts, so `perInstance` must stay well below that
 * budget: the remaining slots serve ordinary requests and the Pub/Sub push deliveries the checkout depends on.
 */
export interface StreamLimits {
  /** A shopper's tabs and devices; more is a client that leaks streams. Counted per instance, as every limit here. */
  perCustomer: number;
  perInstance: number;
}

export interface CartChangeFeed {
  /**
   * Resolves once this process is listening, so no change committed afterwards is missed; returns the unsubscribe,
   * which frees the stream's slot. Throws `too_many_requests` past the customer's limit, `unavailable` past the
   * instance's.
   */
  subscribe(customerId: string, subscriber: CartSubscriber): Promise<() => void>;
  /** While draining, every stream is closed, the listening connection released, and new streams refused. */
  setDraining(draining: boolean): void;
  readonly isDraining: boolean;
  /** Closes every stream and the listening connection (the same as draining). */
  close(): Promise<void>;
}

export interface CartChangeFeedOptions {
  /** A new, unconnected client for the one LISTEN connection of this process. */
  connect(): pg.Client;
  logger: Logger;
  reconnectDelayMs?: number;
  limits: StreamLimits;
}

/**
 * A few tabs or devices per shopper. Per instance: suited to a process with no request cap of its own (local,
 * a plain Node server); on Cloud Run, Terraform sets it well below the instance's request concurrency.
 */
export const DEFAULT_STREAM_LIMITS: StreamLimits = { perCustomer: 3, perInstance: 200 };

/** How soon a refused client may try again: its own streams close when the shopper does; the instance's turn over faster. */
const CUSTOMER_RETRY_AFTER_SECONDS = 30;
const INSTANCE_RETRY_AFTER_SECONDS = 5;

/**
 * One LISTEN connection per process, fanned out to that process's streams by customer id. It connects on the
 * first subscriber; if the connection drops it reconnects and tells every stream to re-read (a NOTIFY sent
 * while disconnected is lost, the cart in the database is not).
 *
 * Why LISTEN/NOTIFY rather than polling: a cart changes in whichever instance ran the request or consumed the
 * event, and every instance already shares the database, so NOTIFY reaches all of them at commit with no extra
 * infrastructure and no delay, for the cost of one connection per instance instead of one query per stream
 * per poll interval. Streams re-read the cart rather than trusting the notification, so a duplicate or a
 * coalesced NOTIFY is harmless.
 */
export function createCartChangeFeed(options: CartChangeFeedOptions): CartChangeFeed {
  const { logger } = options;
  const subscribers = new Map<string, Set<CartSubscriber>>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let draining = false;

  const everyone = () => [...subscribers.values()].flatMap((set) => [...set]);
  const openStreams = () => [...subscribers.values()].reduce((n, set) => n + set.size, 0);

  /** Checked and taken in one synchronous step, so concurrent subscribes cannot both take the last slot. */
  function refuseBeyondLimits(key: string): void {
    const { perCustomer, perInstance } = options.limits;
    // 429 for the customer's own excess; 503 for the instance's, which is not the client's doing and which another
    // instance (or this one, shortly) can serve: Cloud Run routes the retry wherever a slot is free.
    if ((subscribers.get(key)?.size ?? 0) >= perCustomer) {
      throw new DomainError('too_many_requests', `At most ${perCustomer} cart streams per customer are open at once; close one first.`, {
        headers: { 'Retry-After': String(CUSTOMER_RETRY_AFTER_SECONDS) },
      });
    }
    if (openStreams() >= perInstance) {
      throw new DomainError('unavailable', 'This instance streams to as many clients as it can; reconnect shortly.', {
        headers: { 'Retry-After': String(INSTANCE_RETRY_AFTER_SECONDS) },
      });
    }
  }

  async function listen(): Promise<void> {
    const candidate = options.connect();
    candidate.on('notification', function onCartChanged(message) {
      if (message.channel !== CART_CHANGES_CHANNEL || !message.payload) return;
      for (const subscriber of subscribers.get(message.payload.toLowerCase()) ?? []) subscriber.changed();
    });
    candidate.on('error', (err) => {
      logger.warn({ err }, 'cart change feed: listening connection failed');
      lost(candidate);
    });
    candidate.on('end', () => lost(candidate));
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${CART_CHANGES_CHANNEL}`);
    } catch (err) {
      candidate.end().catch(() => undefined);
      throw err;
    }
    client = candidate;
  }

  function ensureListening(): Promise<void> {
    if (client) return Promise.resolve();
    connecting ??= listen().finally(() => (connecting = undefined));
    return connecting;
  }

  function lost(which: pg.Client): void {
    if (client !== which) return;
    client = undefined;
    which.end().catch(() => undefined);
    if (draining || subscribers.size === 0 || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      ensureListening().then(
        () => everyone().forEach((s) => s.changed()),
        (err: unknown) => {
          logger.warn({ err }, 'cart change feed: reconnecting failed; closing its streams so clients reconnect');
          for (const s of everyone()) s.closed();
        },
      );
    }, options.reconnectDelayMs ?? 1_000);
  }

  async function shutDown(): Promise<void> {
    clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    const streams = everyone();
    subscribers.clear();
    for (const s of streams) s.closed();
    const current = client;
    client = undefined;
    await connecting?.catch(() => undefined);
    // A connect that was under way when draining began has finished by now: release it too.
    const late = client as pg.Client | undefined;
    client = undefined;
    await Promise.all([current, late].filter((c): c is pg.Client => c !== undefined).map((c) => c.end().catch(() => undefined)));
  }

  return {
    async subscribe(customerId, subscriber) {
      if (draining) throw new Error('the cart change feed is draining');
      const key = customerId.toLowerCase();
      refuseBeyondLimits(key);
      const set = subscribers.get(key) ?? new Set<CartSubscriber>();
      subscribers.set(key, set);
      set.add(subscriber);
      const unsubscribe = () => {
        set.delete(subscriber);
        if (set.size === 0 && subscribers.get(key) === set) subscribers.delete(key);
      };
      try {
        await ensureListening();
      } catch (err) {
        unsubscribe();
        throw err;
      }
      return unsubscribe;
    },
    setDraining(value) {
      draining = value;
      if (value) shutDown().catch((err: unknown) => logger.warn({ err }, 'cart change feed: closing failed'));
    },
    get isDraining() {
      return draining;
    },
    async close() {
      draining = true;
      await shutDown();
      draining = false;
    },
  };
}
