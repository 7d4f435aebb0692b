// Fault injection for tests that run a service as a process (`node --import tsx --import <this file> main.ts`):
// the process kills itself with SIGKILL at the COMMIT of the first transaction that ran a statement matching
// CRASH_ON_COMMIT_OF, either just before sending it (`CRASH_ON_COMMIT=before`: the transaction never commits)
// or as soon as PostgreSQL has acknowledged it (`after`: committed, and nothing after the commit runs). This
// is a real crash of a real process; nothing else about the service changes.
import pg from 'pg';

const when = process.env['CRASH_ON_COMMIT'];
const statement = new RegExp(process.env['CRASH_ON_COMMIT_OF'] ?? '(?!)');

const crash = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: the process was killed');
};

if (when === 'before' || when === 'after') {
  const inMatchingTransaction = new WeakSet<pg.Client>();
  const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
  // pg's overloads cannot be restated; every call is passed through unchanged.
  (pg.Client.prototype as unknown as { query: typeof query }).query = function crashingQuery(this: pg.Client, ...args: unknown[]) {
    const [config] = args;
    const text = typeof config === 'string' ? config : ((config as { text?: string } | undefined)?.text ?? '');
    if (/^\s*(BEGIN|ROLLBACK)\b/i.test(text)) inMatchingTransaction.delete(this);
    else if (statement.test(text)) inMatchingTransaction.add(this);
    if (!/^\s*COMMIT\b/i.test(text) || !inMatchingTransaction.has(this)) return query.apply(this, args);
    if (when === 'before') return crash();
    return (query.apply(this, args) as Promise<unknown>).then(crash);
  };
}
