import type pg from 'pg';
import { quoteIdent } from '@shop/db';

/**
 * What became of an event at this service: published (the transport acknowledged it), pending (not relayed
 * yet), set_aside (the transport kept refusing it), handled (a subscription consumed it) or dead_lettered
 * (a subscription gave up on it; a replayed dead letter shows as handled instead).
 */
export type JourneyOutcome = 'published' | 'pending' | 'set_aside' | 'handled' | 'dead_lettered';

/** One event a service published or consumed for a correlation id (DESIGN.md "Seeing inside", Journeys). */
export interface JourneyEvent {
  event_id: string | null;
  topic: string | null;
  direction: 'published' | 'consumed';
  /** The consuming subscription; null for what this service published. */
  subscription: string | null;
  /** When the producer says the event happened (its `occurred_at` attribute). */
  occurred_at: string | null;
  /** Published: when the transport acknowledged it. Consumed: when it was handled, or dead-lettered. */
  handled_at: string | null;
  outcome: JourneyOutcome;
  /** Why a dead letter was given up on (`handler_failed`, `invalid_payload`, …); null otherwise. */
  reason: string | null;
}

/** Where a page ends: the sort time and the tie-breaking key of its last row. */
export interface JourneyPosition {
  at: string;
  key: string;
}

export interface JourneyEvents {
  /** The events of `correlationId`, ordered by time (then by a stable key), `limit` after `after`. */
  list(options: { correlationId: string; limit: number; after?: JourneyPosition | undefined }): Promise<(JourneyEvent & { position: JourneyPosition })[]>;
}

const UTC = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One service's journey rows: its outbox and `processed_messages` found through their `correlation_id`
 * indexes, and its open dead letters by their attributes (no index: dead letters are few, and kept only
 * until replayed plus 30 days). Times sort each row: an outbox row by when it was written, a consumed one by
 * when it was handled or dead-lettered. `occurred_at` of a dead letter is returned as sent, and parsed in
 * JavaScript: an undecodable message may carry anything there, and a cast in SQL would fail the whole list.
 */
export function createJourneyEvents(pool: pg.Pool, schema: string): JourneyEvents {
  const s = quoteIdent(schema);
  const sql = `
    SELECT * FROM (
      SELECT event_id::text, topic, 'published' AS direction, NULL::text AS subscription,
             attributes->>'occurred_at' AS occurred_at, ${UTC('published_at')} AS handled_at,
             CASE WHEN published_at IS NOT NULL THEN 'published' WHEN set_aside_at IS NOT NULL THEN 'set_aside' ELSE 'pending' END AS outcome,
             NULL::text AS reason, created_at AS at, 'p:' || event_id::text AS key
        FROM ${s}.outbox WHERE correlation_id = $1
      UNION ALL
      SELECT event_id::text, topic, 'consumed', subscriber, ${UTC('occurred_at')}, ${UTC('processed_at')},
             'handled', NULL, processed_at, 'c:' || subscriber || ':' || event_id::text
        FROM ${s}.processed_messages WHERE correlation_id = $1
      UNION ALL
      SELECT event_id, topic, 'consumed', subscription, attributes->>'occurred_at', ${UTC('dead_lettered_at')},
             'dead_lettered', reason, dead_lettered_at, 'd:' || subscription || ':' || id::text
        FROM ${s}.dead_letters WHERE attributes->>'correlation_id' = $1 AND replayed_at IS NULL
    ) AS e
    WHERE $2::timestamptz IS NULL OR (e.at, e.key) > ($2::timestamptz, $3::text)
    ORDER BY e.at, e.key
    LIMIT $4`;
  return {
    async list({ correlationId, limit, after }) {
      const { rows } = await pool.query<Omit<JourneyEvent, 'occurred_at'> & { occurred_at: string | null; at: Date; key: string }>(sql, [
        correlationId,
        after?.at ?? null,
        after?.key ?? null,
        limit,
      ]);
      return rows.map(({ at, key, occurred_at, ...row }) => ({ ...row, occurred_at: utcOrNull(occurred_at), position: { at: at.toISOString(), key } }));
    },
  };
}

function utcOrNull(value: string | null): string | null {
  if (value === null) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}
