import type pg from 'pg';
import type { TopicName } from '@shop/contracts';
import { quoteIdent } from '@shop/db';
import type { Logger } from '@shop/observability';
import { listenOn } from './notify-listener';
import { outboxChannel } from './outbox';
import type { OutgoingMessage, Transport } from './types';
import { createWakeup } from './wakeup';

export interface RelayOptions {
  databaseUrl: string;
  pool: pg.Pool;
  schema: string;
  transport: Transport;
  logger: Logger;
  /** Rows per transport call. */
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (a missed notification, a row written by hand). */
  pollIntervalMs?: number;
  /** Backoff while the transport fails: doubles from `minBackoffMs` up to this. */
  maxBackoffMs?: number;
  minBackoffMs?: number;
  /** Published rows older than this are deleted (they only matter for debugging). */
  retainPublishedMs?: number;
}

export interface Relay {
  /** Publishes whatever is pending now, without waiting for a notification or poll. */
  wake(): void;
  /** Resolves once no unpublished row is left (tests and benchmarks). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface OutboxRow {
  row_id: string;
  event_id: string;
  topic: string;
  ordering_key: string;
  attributes: Record<string, string>;
  payload: unknown;
}

/**
 * The outbox relay: publishes a service's outbox rows in id order (so per ordering key too) until the
 * transport acknowledges them, woken by LISTEN/NOTIFY, polling only as a fallback, backing off while the
 * transport is down. Only one relay per service publishes at a time: the leader holds a session advisory
 * lock, and the others wait to take over. That keeps per-key order across instances, and no row is ever
 * published by two relays at once. A crash between publish and the `published_at` update republishes a
 * row: delivery is at-least-once, and consumers deduplicate by `event_id`.
 */
export function startRelay(options: RelayOptions): Relay {
  const { schema, transport, logger, pool } = options;
  const table = `${quoteIdent(schema)}.outbox`;
  const batchSize = options.batchSize ?? 200;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const minBackoffMs = options.minBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const retainMs = options.retainPublishedMs ?? 24 * 3600_000;
  const lockKey = `outbox-relay:${schema}`;

  const wakeup = createWakeup();
  let stopped = false;
  let listener: pg.Client | undefined;
  let isLeader = false;
  let idleWaiters: (() => void)[] = [];
  let lastCleanup = 0;

  async function connectListener(): Promise<void> {
    listener = await listenOn({
      databaseUrl: options.databaseUrl,
      applicationName: `${schema}-relay`,
      channel: outboxChannel(schema),
      onNotification: wakeup.wake,
      onLost(err) {
        logger.warn({ err }, 'outbox relay listener lost its connection');
        // The leader lock was held on that session, so it went with it.
        isLeader = false;
        listener = undefined;
        wakeup.wake();
      },
    });
  }

  async function tryLead(): Promise<boolean> {
    if (!listener) await connectListener();
    const { rows } = await listener!.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockKey]);
    isLeader = rows[0]?.locked === true;
    return isLeader;
  }

  /** Publishes one batch; returns how many rows it published. */
  async function publishBatch(): Promise<number> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        // Ordered by the bigint column itself: an output column named id (id::text) would sort as text.
        `SELECT id::text AS row_id, event_id::text, topic, ordering_key, attributes, payload FROM ${table}
         WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const messages: OutgoingMessage[] = rows.map((r) => ({
        id: r.row_id,
        topic: r.topic as TopicName,
        eventId: r.event_id,
        orderingKey: r.ordering_key,
        attributes: r.attributes,
        data: JSON.stringify(r.payload),
      }));
      let published = 0;
      let failure: unknown;
      try {
        published = await transport.publish(messages);
      } catch (err) {
        failure = err;
        published = (err as { published?: number }).published ?? 0;
      }
      if (published > 0) {
        await client.query(`UPDATE ${table} SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [
          rows.slice(0, published).map((r) => r.row_id),
        ]);
      }
      const stuck = rows[published];
      if (stuck && published < rows.length) {
        failure ??= new Error('the transport acknowledged only part of the batch');
        await client.query(`UPDATE ${table} SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [
          stuck.row_id,
          String((failure as Error).message ?? failure).slice(0, 2_000),
        ]);
      }
      await client.query('COMMIT');
      if (failure) throw failure;
      return published;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async function cleanup(): Promise<void> {
    if (Date.now() - lastCleanup < 60_000) return;
    lastCleanup = Date.now();
    await pool.query(`DELETE FROM ${table} WHERE published_at < now() - make_interval(secs => $1)`, [retainMs / 1000]);
  }

  const loop = (async () => {
    let backoff = minBackoffMs;
    while (!stopped) {
      wakeup.rearm();
      try {
        if (!isLeader && !(await tryLead())) {
          await wakeup.sleep(pollIntervalMs);
          continue;
        }
        const published = await publishBatch();
        backoff = minBackoffMs;
        if (published === batchSize) continue;
        if (published === 0) {
          for (const resolve of idleWaiters) resolve();
          idleWaiters = [];
          await cleanup();
          await wakeup.sleep(pollIntervalMs);
        }
      } catch (err) {
        logger.warn({ err, backoffMs: backoff }, 'outbox relay could not publish; retrying');
        // Not cut short by new rows: the transport is what failed.
        await wakeup.pause(backoff);
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    }
  })();

  return {
    wake: wakeup.wake,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wakeup.wake();
      }),
    async stop() {
      stopped = true;
      wakeup.close();
      await loop;
      for (const resolve of idleWaiters) resolve();
      await listener?.end().catch(() => undefined);
    },
  };
}
