import type pg from 'pg';

/**
 * Until the returned function runs, storing the answer to an `Idempotency-Key` fails in `schema`: a trigger
 * refuses every row of `idempotency_keys` that carries an answer, as a database failing at that moment would.
 * A route whose effect commits with its answer then keeps neither; one that commits them apart keeps the effect.
 */
export async function refuseIdempotentAnswers(db: { pool: pg.Pool }, schema: string): Promise<() => Promise<void>> {
  const table = `"${schema}".idempotency_keys`;
  const fn = `"${schema}".refuse_idempotent_answers`;
  await db.pool.query(`
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'storing idempotent answers is refused (test fault)'; END $$;
    CREATE TRIGGER refuse_idempotent_answers BEFORE INSERT OR UPDATE ON ${table}
      FOR EACH ROW WHEN (NEW.status_code IS NOT NULL) EXECUTE FUNCTION ${fn}();`);
  return async () => {
    await db.pool.query(`DROP TRIGGER refuse_idempotent_answers ON ${table}; DROP FUNCTION ${fn}();`);
  };
}
