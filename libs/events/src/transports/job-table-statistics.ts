import { quoteIdent } from '@shop/db';
import type { Logger } from '@shop/observability';

export interface JobTableStatisticsOptions {
  /** Runs one SQL statement (pg-boss's own pool). */
  executeSql(sql: string): Promise<unknown>;
  /** pg-boss's schema. */
  schema: string;
  logger: Logger;
  /** How soon after `changed` to look at the tables' change counters (and at most how often). */
  intervalMs?: number;
  /** A table is analyzed once this many rows changed since its last ANALYZE… */
  minChanges?: number;
  /** …and at least this fraction of its live rows… */
  changedFraction?: number;
  /** …and its last ANALYZE is older than this, unless it holds four times the rows the planner believes. */
  minIntervalMs?: number;
}

export interface JobTableStatistics {
  /** Jobs were sent or handled: look at the counters within `intervalMs` (many calls, one look). */
  changed(): void;
  /** Looks now instead of at the next interval (tests). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How long after the last change the counters are still looked at. PostgreSQL publishes a backend's counters
 * within about 10 s once it is idle, later on a machine whose cores are all busy: a full `npm test` on two
 * cores once saw a 1,500-message burst go unanalyzed because the keeper had stopped looking at 15 s.
 */
const LOOK_AFTER_CHANGE_MS = 30_000;

/**
 * Keeps the planner's statistics of pg-boss's job tables current. A queue table churns (every message is
 * inserted, claimed, completed), and autovacuum looks at it once a minute at best. With statistics taken
 * while a queue was empty, PostgreSQL plans key_strict_fifo's fetch with nested loops over the whole
 * backlog: measured here, 5 s per fetch with 20,000 messages waiting, against 34 ms once analyzed. So a
 * few seconds after jobs were sent or handled, each queue table that changed by more than `minChanges` rows
 * and `changedFraction` of its size since its last ANALYZE is analyzed again, at most once per
 * `minIntervalMs`, or at once when it holds four times the rows its statistics say (the empty-to-backlog
 * case the plans turn on). Without that bound a busy table was analyzed every second or so: in a flash sale
 * of 2,000 checkouts, 180 ANALYZEs of ~250 ms each, a third of PostgreSQL's time (pg_stat_statements,
 * `BENCH_STATEMENTS=1 npm run bench:flash-sale`). An idle instance looks at nothing (its tables are not
 * changing, and whoever changes them looks). A transaction-scoped advisory lock lets one service do it while
 * the others, sharing the same tables, skip the round.
 */
// The columns pg-boss's fetch, complete and retry statements filter, join and sort on. Leaving out the
// payloads (data, output) makes an ANALYZE several times cheaper: they are the wide, detoasted part.
const PLANNED_COLUMNS = 'id, name, state, policy, singleton_key, blocked, start_after, priority, created_on, group_id';

export function keepJobTableStatistics(options: JobTableStatisticsOptions): JobTableStatistics {
  const intervalMs = options.intervalMs ?? 2_000;
  const minChanges = Math.trunc(options.minChanges ?? 1_000);
  const changedFraction = Number(options.changedFraction ?? 0.2);
  const minIntervalSeconds = Math.max(0, Math.trunc(options.minIntervalMs ?? 30_000) / 1000);
  const schema = options.schema.replaceAll("'", "''");
  // ANALYZE may run inside a DO block, so the lock, the choice and the ANALYZE are one statement on one
  // connection of the pool: the lock cannot outlive them.
  const sql = `DO $analyze$
    DECLARE t regclass;
    BEGIN
      IF NOT pg_try_advisory_xact_lock(hashtext('job-table-statistics:${schema}')) THEN RETURN; END IF;
      -- A sample of 3,000 rows instead of 30,000: the plans turn on orders of magnitude, not fine detail.
      PERFORM set_config('default_statistics_target', '10', true);
      FOR t IN
        SELECT s.relid::regclass FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname = '${schema}'
          AND s.relname IN (SELECT table_name FROM ${quoteIdent(options.schema)}.queue)
          AND s.n_mod_since_analyze > GREATEST(${minChanges}, ${changedFraction} * s.n_live_tup)
          AND (s.n_live_tup > 4 * GREATEST(c.reltuples, 250)
               OR COALESCE(GREATEST(s.last_analyze, s.last_autoanalyze), '-infinity') < now() - make_interval(secs => ${minIntervalSeconds}))
      LOOP
        EXECUTE format('ANALYZE %s (${PLANNED_COLUMNS})', t);
      END LOOP;
    END $analyze$`;

  let running: Promise<void> | undefined;
  const refresh = () =>
    (running ??= options
      .executeSql(sql)
      .then(() => undefined)
      .catch((err: unknown) => options.logger.warn({ err }, 'could not refresh the job tables statistics'))
      .finally(() => (running = undefined)));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastChange = 0;
  function schedule(): void {
    timer = setTimeout(() => {
      void refresh().finally(() => {
        timer = undefined;
        // A backend publishes its change counters up to ten seconds late: keep looking a while after the last change.
        if (!stopped && Date.now() - lastChange < LOOK_AFTER_CHANGE_MS) schedule();
      });
    }, intervalMs);
    timer.unref();
  }
  return {
    changed() {
      lastChange = Date.now();
      if (!timer && !stopped) schedule();
    },
    refresh,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

