import pg from 'pg';
import { benchDatabase } from './bench-database';
import { runPool } from './shop-setup';

/**
 * The per-request ceiling of a sale of one hot SKU on raw PostgreSQL: `requests` transactions, each ONE
 * conditional `UPDATE … SET available = available - 1 WHERE sku = $1 AND available >= 1`, `concurrency` at a
 * time (over at most `connections` connections, 100 by default), against `stock` units, in a fresh database
 * (`benchDatabase`: a PostgreSQL like the benchmark's own). Every transaction waits for the row lock of the one before it to be
 * released at its commit: this is what deciding requests one per transaction can reach at best. Answers
 * transactions per second; throws unless exactly `stock` units (or `requests`, if fewer) were sold.
 */
export async function conditionalUpdateCeiling(options: { requests: number; stock: number; concurrency: number; connections?: number; sku?: string }): Promise<number> {
  const sku = options.sku ?? 'CEILING-SKU';
  const database = await benchDatabase('ceiling');
  const clients = new pg.Pool({ connectionString: database.url, max: Math.min(options.concurrency, options.connections ?? 100) });
  try {
    await clients.query('INSERT INTO inventory.stock (sku, available) VALUES ($1, $2)', [sku, options.stock]);
    const started = performance.now();
    let sold = 0;
    await runPool(Array.from({ length: options.requests }), options.concurrency, async () => {
      const c = await clients.connect();
      try {
        await c.query('BEGIN');
        const r = await c.query('UPDATE inventory.stock SET available = available - 1 WHERE sku = $1 AND available >= 1', [sku]);
        sold += r.rowCount ?? 0;
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    });
    const expected = Math.min(options.stock, options.requests);
    if (sold !== expected) throw new Error(`ceiling sold ${sold}, expected ${expected}`);
    return options.requests / ((performance.now() - started) / 1000);
  } finally {
    await clients.end();
    await database.drop();
  }
}
