// Where PostgreSQL's time goes, by statement: with BENCH_STATEMENTS=1 the embedded server of a benchmark loads
// pg_stat_statements, and the benchmark prints the statements that took the most execution time over its
// measured part. Execution time is not CPU time (it includes waiting for locks and for the disk), but it ranks
// the statements that cost the server most, and their calls per checkout say how many round trips each takes.
import pg from 'pg';

/** The server settings that make pg_stat_statements count every statement, those inside functions too. */
export const STATEMENT_STATISTICS_SETTINGS = { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' };

export const statementProfileWanted = (): boolean => process.env['BENCH_STATEMENTS'] === '1' && !process.env['DATABASE_URL'];

/** Creates the extension in the benchmark's database (if wanted) and forgets what was counted so far. */
export async function resetStatementProfile(url: string): Promise<void> {
  if (!statementProfileWanted()) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  } finally {
    await client.end();
  }
}

interface StatementRow {
  calls: string;
  total_ms: number;
  mean_ms: number;
  rows: string;
  query: string;
}

/** The `limit` statements with the most execution time since the reset, each per `unit` (e.g. per checkout). */
export async function printStatementProfile(url: string, print: (line: string) => void, perUnit: { count: number; unit: string }, limit = 20): Promise<void> {
  if (!statementProfileWanted()) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<StatementRow>(
      `SELECT calls::text, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows::text,
              regexp_replace(query, '\\s+', ' ', 'g') AS query
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       ORDER BY total_exec_time DESC LIMIT $1`,
      [limit],
    );
    const { rows: all } = await client.query<{ total_ms: number }>(
      `SELECT coalesce(sum(total_exec_time), 0) AS total_ms FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel`,
    );
    const per = (n: number) => (n / Math.max(perUnit.count, 1)).toFixed(2);
    print(`  statements by execution time (pg_stat_statements; top level total ${per(all[0]!.total_ms)} ms per ${perUnit.unit}):`);
    for (const r of rows) {
      print(`    ${per(r.total_ms).padStart(7)} ms/${perUnit.unit}  ${per(Number(r.calls)).padStart(6)} calls/${perUnit.unit}  ${r.mean_ms.toFixed(3)} ms mean  ${r.query.slice(0, 150)}`);
    }
  } finally {
    await client.end();
  }
}
