import type pg from 'pg';

/**
 * The parts of a PostgreSQL database that `schema.prisma` describes, in one neutral form: the drift checker
 * builds it once from the Prisma schema and once from the live catalog, then compares the two.
 */
export interface DatabaseShape {
  tables: TableShape[];
  enums: EnumShape[];
}

export interface TableShape {
  schema: string;
  name: string;
  columns: ColumnShape[];
  primaryKey: { name: string; columns: string[] } | null;
  /** Every index but the primary key's, unique ones (constraints or not) included. */
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}

export interface ColumnShape {
  name: string;
  /** As `format_type` spells it (`timestamp(3) with time zone`), enums as `enum <name>`, lists with `[]`. */
  type: string;
  nullable: boolean;
  /** `null` for none; see `normalizeDefault` for the forms; `ANY_DEFAULT` when only its presence is known. */
  default: string | null;
}

export interface IndexShape {
  name: string;
  unique: boolean;
  /** Column names in index order, `name DESC` for descending ones, `(expression)` for expressions. */
  columns: string[];
  method: string;
  /** The partial index's WHERE clause, or null. */
  predicate: string | null;
}

export interface ForeignKeyShape {
  columns: string[];
  /** `schema.table` */
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface EnumShape {
  name: string;
  values: string[];
}

/** A default that exists but whose value is not compared (database-generated expressions, JSON, lists). */
export const ANY_DEFAULT = '(any)';

/** Anything with pg's `query(text, values)`: a Client, a PoolClient or a Pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

const ON_ACTION: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** Reads the tables, columns, keys, indexes and enums of `schemas` from `pg_catalog`. */
export async function readCatalog(db: Queryable, schemas: readonly string[]): Promise<DatabaseShape> {
  // One after another: a single pg client cannot run queries concurrently.
  const tables = await readTables(db, schemas);
  const columns = await readColumns(db, schemas);
  const indexes = await readIndexes(db, schemas);
  const foreignKeys = await readForeignKeys(db, schemas);
  const enums = await readEnums(db, schemas);
  const byKey = new Map(tables.map((t) => [`${t.schema}.${t.name}`, t]));
  const tableOf = (row: { schema: string; table: string }) => byKey.get(`${row.schema}.${row.table}`);
  for (const c of columns) tableOf(c)?.columns.push(c.column);
  for (const i of indexes) {
    const table = tableOf(i);
    if (!table) continue;
    if (i.primary) table.primaryKey = { name: i.index.name, columns: i.index.columns };
    else table.indexes.push(i.index);
  }
  for (const f of foreignKeys) tableOf(f)?.foreignKeys.push(f.foreignKey);
  return { tables, enums };
}

async function readTables(db: Queryable, schemas: readonly string[]): Promise<TableShape[]> {
  const { rows } = await db.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)
        AND c.relname <> '_prisma_migrations'
      ORDER BY 1, 2`,
    [schemas],
  );
  return rows.map((r) => ({ ...r, columns: [], primaryKey: null, indexes: [], foreignKeys: [] }));
}

async function readColumns(db: Queryable, schemas: readonly string[]) {
  const { rows } = await db.query<{
    schema: string;
    table: string;
    name: string;
    formatted: string;
    enum_name: string | null;
    is_array: boolean;
    not_null: boolean;
    default_sql: string | null;
    identity: string;
    generated: string;
  }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS name,
            format_type(a.atttypid, a.atttypmod) AS formatted,
            CASE WHEN et.typtype = 'e' THEN et.typname END AS enum_name,
            t.typcategory = 'A' AS is_array,
            a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS default_sql,
            a.attidentity AS identity, a.attgenerated AS generated
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND n.nspname = ANY($1)
      ORDER BY 1, 2, a.attnum`,
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    column: {
      name: r.name,
      type: r.enum_name === null ? r.formatted : `enum ${r.enum_name}${r.is_array ? '[]' : ''}`,
      nullable: !r.not_null,
      default: columnDefault(r),
    } satisfies ColumnShape,
  }));
}

function columnDefault(r: { default_sql: string | null; identity: string; generated: string }): string | null {
  // Prisma reads identity columns as autoincrement() too; a generated column is not a default at all.
  if (r.identity !== '') return 'autoincrement()';
  if (r.generated !== '') return `GENERATED ALWAYS AS ${r.default_sql ?? '?'}`;
  return r.default_sql === null ? null : normalizeDefault(r.default_sql);
}

/**
 * Reduces a default as `pg_get_expr` prints it to a form schema.prisma's defaults can be compared with:
 * `now()`, `autoincrement()`, a literal (`'EUR'`, `0`, `true`, casts removed), or the expression as is.
 */
export function normalizeDefault(sql: string): string {
  const text = sql.trim();
  if (/^nextval\(/i.test(text)) return 'autoincrement()';
  if (/^(now\(\)|CURRENT_TIMESTAMP)$/i.test(text)) return 'now()';
  const literal = parseLiteral(text);
  return literal === undefined ? text : canonicalLiteral(literal);
}

/** The text of a literal, optionally cast (`'x'::text`, `(-1)::integer`, `1.5`, `true`), else undefined. */
function parseLiteral(text: string): string | undefined {
  const uncast = text.replace(/^\((.*)\)(?=::)/, '$1');
  const quoted = /^'((?:[^']|'')*)'(?:::[\w ."[\]()]+)?$/.exec(uncast);
  if (quoted) return quoted[1]!.replaceAll("''", "'");
  const bare = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|true|false)(?:::[\w ."[\]()]+)?$/i.exec(uncast);
  return bare ? bare[1]!.toLowerCase() : undefined;
}

/** One spelling per value: numbers without redundant zeros, booleans bare, everything else quoted. */
export function canonicalLiteral(value: string): string {
  if (/^-?\d+(\.\d+)?$/.test(value)) {
    const [int, frac = ''] = value.split('.');
    const digits = int!.replace(/^(-?)0+(?=\d)/, '$1');
    const fraction = frac.replace(/0+$/, '');
    return fraction ? `${digits}.${fraction}` : digits === '-0' ? '0' : digits;
  }
  if (value === 'true' || value === 'false') return value;
  return `'${value.replaceAll("'", "''")}'`;
}

async function readIndexes(db: Queryable, schemas: readonly string[]) {
  const { rows } = await db.query<{
    schema: string;
    table: string;
    name: string;
    primary: boolean;
    unique: boolean;
    method: string;
    predicate: string | null;
    columns: string[];
  }>(
    `SELECT n.nspname AS schema, t.relname AS table, i.relname AS name,
            ix.indisprimary AS primary, ix.indisunique AS unique, am.amname AS method,
            pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
            ARRAY(
              SELECT CASE WHEN k.attnum = 0 THEN '(' || pg_get_indexdef(ix.indexrelid, k.pos::int, true) || ')'
                          ELSE (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = ix.indrelid AND a.attnum = k.attnum)
                     END || CASE WHEN ix.indoption[k.pos - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, pos)
               WHERE k.pos <= ix.indnkeyatts
               ORDER BY k.pos
            )::text[] AS columns
       FROM pg_index ix
       JOIN pg_class i ON i.oid = ix.indexrelid
       JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_am am ON am.oid = i.relam
      WHERE n.nspname = ANY($1)
      ORDER BY 1, 2, 3`,
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    primary: r.primary,
    index: { name: r.name, unique: r.unique, columns: r.columns, method: r.method, predicate: r.predicate } satisfies IndexShape,
  }));
}

async function readForeignKeys(db: Queryable, schemas: readonly string[]) {
  const { rows } = await db.query<{
    schema: string;
    table: string;
    columns: string[];
    referenced_table: string;
    referenced_columns: string[];
    on_delete: string;
    on_update: string;
  }>(
    `SELECT n.nspname AS schema, t.relname AS table,
            ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, pos)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos)::text[] AS columns,
            rn.nspname || '.' || rt.relname AS referenced_table,
            ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, pos)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.pos)::text[] AS referenced_columns,
            con.confdeltype AS on_delete, con.confupdtype AS on_update
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_class rt ON rt.oid = con.confrelid
       JOIN pg_namespace rn ON rn.oid = rt.relnamespace
      WHERE con.contype = 'f' AND n.nspname = ANY($1)
      ORDER BY 1, 2, con.conname`,
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    foreignKey: {
      columns: r.columns,
      referencedTable: r.referenced_table,
      referencedColumns: r.referenced_columns,
      onDelete: ON_ACTION[r.on_delete] ?? r.on_delete,
      onUpdate: ON_ACTION[r.on_update] ?? r.on_update,
    } satisfies ForeignKeyShape,
  }));
}

async function readEnums(db: Queryable, schemas: readonly string[]): Promise<EnumShape[]> {
  const { rows } = await db.query<EnumShape>(
    `SELECT t.typname AS name, ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)::text[] AS values
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typtype = 'e' AND n.nspname = ANY($1)
      ORDER BY 1`,
    [schemas],
  );
  return rows;
}
