import type pg from 'pg';
import { quoteIdent } from '@shop/db';

/** One message of a read: a parked one (its key was held back) or a fresh one from the producer's outbox. */
export interface LogMessage {
  outboxId: bigint;
  orderingKey: string;
  attributes: Record<string, string>;
  data: string;
  /** Deliveries so far: 0 for a fresh message and for one parked behind an earlier message of its key. */
  attempts: number;
  isParked: boolean;
  /** A fresh message of a key that has parked messages: it is parked behind them, not delivered. */
  isHeld: boolean;
}

/** What one read found. */
export interface LogRead {
  messages: LogMessage[];
  /** Where the position goes once these are dealt with: the last fresh id, or the read's upper bound. */
  nextPosition: bigint;
  /** When the earliest parked key not due yet becomes due, if any. */
  nextDueAt: Date | undefined;
}

/** A message to park (`delayMs` from now), or a parked one to update after it failed again. */
export interface ParkedUpdate {
  outboxId: bigint;
  orderingKey: string;
  attributes: Record<string, string>;
  data: string;
  attempts: number;
  delayMs: number;
  error: string | null;
}

/** What one delivery changed, written in one statement (see `record`). */
export interface LogOutcomes {
  fromPosition: bigint;
  toPosition: bigint;
  park: ParkedUpdate[];
  /** Parked messages that are done (handled, duplicates or dead-lettered). */
  settled: bigint[];
  /** Parked messages whose delivery failed again. */
  failedAgain: ParkedUpdate[];
}

/** The statements of one subscription's reader of one producer's outbox. */
export interface LogStatements {
  /** The stored position; creates it at 0 (the start of the retained log) when missing. */
  position(): Promise<bigint>;
  /**
   * Reads, in one statement: the parked messages of every key whose head is due (a key's whole parked run,
   * in order), and up to `limit` fresh rows of the topic with ids in `(position, safe]`, each flagged when
   * its key is held. Both in outbox id order.
   */
  read(position: bigint, safe: bigint, limit: number): Promise<LogRead>;
  /**
   * Moves the position from `fromPosition` (compare-and-set: false when another reader moved it, and then
   * nothing is parked) and records the parked messages' fates, in one statement, so one transaction.
   */
  record(outcomes: LogOutcomes): Promise<boolean>;
}

/**
 * SQL for the reader of `subscription` (a service of schema `consumer`) on the outbox of `producer`. The
 * position lives beside the outbox it points into (`<producer>.log_positions`), where retention's guard reads
 * it; the parked messages live with the consumer (`<consumer>.log_retries`), copies that need no outbox row.
 */
export function logStatements(pool: pg.Pool, options: { subscription: string; topic: string; producer: string; consumer: string }): LogStatements {
  const { subscription, topic, producer } = options;
  const outbox = `${quoteIdent(producer)}.outbox`;
  const positions = `${quoteIdent(producer)}.log_positions`;
  const retries = `${quoteIdent(options.consumer)}.log_retries`;

  const readSql = `
    WITH heads AS (
      SELECT DISTINCT ON (ordering_key) ordering_key, next_attempt_at
      FROM ${retries} WHERE subscription = $1 AND producer = $2
      ORDER BY ordering_key, outbox_id
    ), due AS (
      SELECT r.outbox_id, r.ordering_key, r.attributes, r.data, r.attempts
      FROM ${retries} r JOIN heads h USING (ordering_key)
      WHERE r.subscription = $1 AND r.producer = $2 AND h.next_attempt_at <= now()
      ORDER BY r.outbox_id LIMIT $6
    ), fresh AS (
      SELECT o.id AS outbox_id, o.ordering_key, o.attributes, o.payload::text AS data,
             EXISTS (SELECT 1 FROM ${retries} r WHERE r.subscription = $1 AND r.producer = $2 AND r.ordering_key = o.ordering_key) AS held
      FROM ${outbox} o
      WHERE o.id > $4::bigint AND o.id <= $5::bigint AND o.topic = $3
      ORDER BY o.id LIMIT $6
    )
    SELECT 'parked' AS kind, outbox_id::text, ordering_key, attributes, data, attempts, false AS held, NULL::timestamptz AS due_at FROM due
    UNION ALL
    SELECT 'fresh', outbox_id::text, ordering_key, attributes, data, 0, held, NULL FROM fresh
    UNION ALL
    SELECT 'next', NULL, NULL, NULL, NULL, NULL, NULL, min(next_attempt_at) FROM heads WHERE next_attempt_at > now()`;

  const recordSql = `
    WITH moved AS (
      UPDATE ${positions} SET position = $3::bigint, updated_at = now()
      WHERE subscription = $1 AND position = $4::bigint
      RETURNING 1
    ), parked AS (
      INSERT INTO ${retries} (subscription, producer, outbox_id, ordering_key, attributes, data, attempts, next_attempt_at, last_error)
      SELECT $1, $2, p.id, p.key, p.attributes::jsonb, p.data, p.attempts, now() + make_interval(secs => p.delay), p.error
      FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::int[], $10::float8[], $11::text[])
           AS p(id, key, attributes, data, attempts, delay, error)
      WHERE EXISTS (SELECT 1 FROM moved)
      ON CONFLICT DO NOTHING
    ), settled AS (
      DELETE FROM ${retries} WHERE subscription = $1 AND producer = $2 AND outbox_id = ANY($12::bigint[])
    ), failed AS (
      UPDATE ${retries} r SET attempts = f.attempts, next_attempt_at = now() + make_interval(secs => f.delay), last_error = f.error
      FROM unnest($13::bigint[], $14::int[], $15::float8[], $16::text[]) AS f(id, attempts, delay, error)
      WHERE r.subscription = $1 AND r.producer = $2 AND r.outbox_id = f.id
    )
    SELECT EXISTS (SELECT 1 FROM moved) AS moved`;

  return {
    async position() {
      const { rows } = await pool.query<{ position: string }>(
        `WITH created AS (INSERT INTO ${positions} (subscription) VALUES ($1) ON CONFLICT DO NOTHING RETURNING position)
         SELECT position::text FROM created UNION ALL SELECT position::text FROM ${positions} WHERE subscription = $1`,
        [subscription],
      );
      return BigInt(rows[0]!.position);
    },
    async read(position, safe, limit) {
      const { rows } = await pool.query<{
        kind: 'parked' | 'fresh' | 'next';
        outbox_id: string | null;
        ordering_key: string;
        attributes: Record<string, string>;
        data: string;
        attempts: number;
        held: boolean;
        due_at: Date | null;
      }>(readSql, [subscription, producer, topic, position.toString(), safe.toString(), limit]);
      const parked: LogMessage[] = [];
      const fresh: LogMessage[] = [];
      let nextDueAt: Date | undefined;
      for (const row of rows) {
        if (row.kind === 'next') {
          nextDueAt = row.due_at ?? undefined;
          continue;
        }
        const message: LogMessage = {
          outboxId: BigInt(row.outbox_id!),
          orderingKey: row.ordering_key,
          attributes: row.attributes,
          data: row.data,
          attempts: row.attempts,
          isParked: row.kind === 'parked',
          isHeld: row.held,
        };
        (message.isParked ? parked : fresh).push(message);
      }
      const byId = (a: LogMessage, b: LogMessage) => (a.outboxId < b.outboxId ? -1 : a.outboxId > b.outboxId ? 1 : 0);
      parked.sort(byId);
      fresh.sort(byId);
      // A full page may stop short of `safe`: go on after its last row. A short one read everything up to it.
      const nextPosition = fresh.length === limit ? fresh[fresh.length - 1]!.outboxId : safe > position ? safe : position;
      return { messages: [...parked, ...fresh], nextPosition, nextDueAt };
    },
    async record(o) {
      const { rows } = await pool.query<{ moved: boolean }>(recordSql, [
        subscription,
        producer,
        o.toPosition.toString(),
        o.fromPosition.toString(),
        o.park.map((p) => p.outboxId.toString()),
        o.park.map((p) => p.orderingKey),
        o.park.map((p) => JSON.stringify(p.attributes)),
        o.park.map((p) => p.data),
        o.park.map((p) => p.attempts),
        o.park.map((p) => p.delayMs / 1000),
        o.park.map((p) => p.error),
        o.settled.map((id) => id.toString()),
        o.failedAgain.map((p) => p.outboxId.toString()),
        o.failedAgain.map((p) => p.attempts),
        o.failedAgain.map((p) => p.delayMs / 1000),
        o.failedAgain.map((p) => p.error),
      ]);
      return rows[0]?.moved === true;
    },
  };
}
