import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import prismaInternals from '@prisma/internals';
import pg from 'pg';
import {
  ANY_DEFAULT,
  canonicalLiteral,
  readCatalog,
  type ColumnShape,
  type DatabaseShape,
  type EnumShape,
  type ForeignKeyShape,
  type IndexShape,
  type Queryable,
  type TableShape,
} from './catalog';

// @prisma/internals is CommonJS and Node's ESM loader does not detect all its named exports.
const { getConfig, getDMMF } = prismaInternals;

type Datamodel = Awaited<ReturnType<typeof getDMMF>>['datamodel'];
type Model = Datamodel['models'][number];
type Field = Model['fields'][number];
type Enum = Datamodel['enums'][number];

/** The multi-file Prisma schema of this repository. */
export const PRISMA_SCHEMA_DIR = resolve(import.meta.dirname, '../../../prisma/schema');

// PostgreSQL's NAMEDATALEN - 1; Prisma cuts its default constraint names to fit.
const MAX_IDENTIFIER = 63;

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Bytes: 'bytea',
};

// How format_type spells each @db.* native type, given its `(args)` or ''.
const NATIVE_TYPES: Record<string, (size: string) => string> = {
  VarChar: (size) => `character varying${size}`,
  Char: (size) => `character${size || '(1)'}`,
  Bit: (size) => `bit${size || '(1)'}`,
  VarBit: (size) => `bit varying${size}`,
  Decimal: (size) => `numeric${size}`,
  Timestamp: (size) => `timestamp${size} without time zone`,
  Timestamptz: (size) => `timestamp${size} with time zone`,
  Time: (size) => `time${size} without time zone`,
  Timetz: (size) => `time${size} with time zone`,
  SmallInt: () => 'smallint',
  DoublePrecision: () => 'double precision',
};

export interface PrismaSchema {
  /** The PostgreSQL schemas the datasource lists (`public` when it lists none). */
  schemas: string[];
  shape: DatabaseShape;
}

/**
 * Lists every difference between the Prisma schema and the live database, both ways, one readable line
 * each; empty when they match. Only the datasource's schemas are read; `_prisma_migrations` is ignored.
 */
export async function findSchemaDrift(
  database: string | Queryable,
  options: { schemaDir?: string } = {},
): Promise<string[]> {
  const prisma = await readPrismaSchema(options.schemaDir);
  const actual = await withQueryable(database, (db) => readCatalog(db, prisma.schemas));
  return compareShapes(prisma.shape, actual);
}

async function withQueryable<T>(database: string | Queryable, fn: (db: Queryable) => Promise<T>): Promise<T> {
  if (typeof database !== 'string') return fn(database);
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Parses every `*.prisma` file in `dir` with Prisma's own (WASM) parser into the neutral shape. */
export async function readPrismaSchema(dir = PRISMA_SCHEMA_DIR): Promise<PrismaSchema> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.prisma')).sort();
  const files = await Promise.all(names.map(async (n): Promise<[string, string]> => [join(dir, n), await readFile(join(dir, n), 'utf8')]));
  const [{ datamodel }, config] = await Promise.all([getDMMF({ datamodel: files }), getConfig({ datamodel: files })]);
  const predicates = partialIndexPredicates(files);
  const listed = config.datasources[0]?.schemas ?? [];
  const schemas = listed.length > 0 ? [...listed] : ['public'];
  return {
    schemas,
    shape: {
      tables: datamodel.models.map((m) => modelToTable(m, datamodel, predicates)),
      enums: datamodel.enums.map((e) => ({ name: e.dbName ?? e.name, values: e.values.map((v) => v.dbName ?? v.name) })),
    },
  };
}

function modelToTable(model: Model, datamodel: Datamodel, predicates: Map<string, string>): TableShape {
  const table = tableName(model);
  const column = (fieldName: string) => columnName(fieldOf(model, fieldName));
  const indexes = datamodel.indexes.filter((i) => i.model === model.name);
  const id = indexes.find((i) => i.type === 'id');
  return {
    schema: model.schema ?? 'public',
    name: table,
    columns: model.fields.filter((f) => f.kind !== 'object').map((f) => fieldToColumn(f, datamodel.enums)),
    primaryKey: id
      ? { name: id.dbName ?? constraintName(table, [], '_pkey'), columns: id.fields.map((f) => column(f.name)) }
      : null,
    indexes: indexes
      .filter((i) => i.type === 'unique' || i.type === 'normal')
      .map((i): IndexShape => {
        const columns = i.fields.map((f) => column(f.name));
        const unique = i.type === 'unique';
        const name = i.dbName ?? constraintName(table, columns, unique ? '_key' : '_idx');
        return {
          name,
          unique,
          columns: i.fields.map((f, n) => (f.sortOrder === 'desc' ? `${columns[n]} DESC` : columns[n]!)),
          method: (i.algorithm ?? 'BTree').toLowerCase(),
          predicate: predicates.get(`${model.name}.${name}`) ?? null,
        };
      }),
    foreignKeys: model.fields
      .filter((f) => f.kind === 'object' && (f.relationFromFields?.length ?? 0) > 0)
      .map((f) => relationToForeignKey(model, f, datamodel)),
  };
}

/**
 * The WHERE clause of each partial index (`where: raw("…")`, the partialIndexes preview feature), keyed by
 * model and index name, read from the schema text: the DMMF leaves it out. Parenthesized as pg_get_expr
 * prints it. A partial index must name itself with `map:` to be found.
 */
function partialIndexPredicates(files: [string, string][]): Map<string, string> {
  const found = new Map<string, string>();
  for (const [, text] of files) {
    for (const [, model, body] of text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
      for (const [line] of body!.matchAll(/@@(?:index|unique)\(.*\)/g)) {
        const where = /where:\s*raw\("((?:[^"\\]|\\.)*)"\)/.exec(line)?.[1];
        if (!where) continue;
        const name = /map:\s*"([^"]+)"/.exec(line)?.[1];
        if (!name) throw new Error(`model ${model}: a partial index needs map: "<name>" for the drift check`);
        found.set(`${model}.${name}`, `(${where})`);
      }
    }
  }
  return found;
}

function fieldToColumn(field: Field, enums: readonly Enum[]): ColumnShape {
  const enumType = field.kind === 'enum' ? enums.find((e) => e.name === field.type) : undefined;
  const base = enumType ? `enum ${enumType.dbName ?? enumType.name}` : scalarType(field);
  return {
    name: columnName(field),
    type: field.isList ? `${base}[]` : base,
    nullable: !field.isRequired,
    default: expectedDefault(field, enumType),
  };
}

function scalarType(field: Field): string {
  if (!field.nativeType) return SCALAR_TYPES[field.type] ?? `unsupported ${field.type}`;
  const [name, args] = field.nativeType;
  const size = args.length > 0 ? `(${args.join(',')})` : '';
  // Text, Uuid, Date, Real, Money, Boolean, Json, Xml, Inet, Citext, Oid: the lower-cased name is PG's.
  return NATIVE_TYPES[name]?.(size) ?? `${name.toLowerCase()}${size}`;
}

/**
 * The database default Prisma's migrations would create for a field: client-side generators (uuid(),
 * cuid(), …) and @updatedAt create none; database-generated expressions, lists, JSON, bytes and dates
 * are only checked for presence.
 */
function expectedDefault(field: Field, enumType: Enum | undefined): string | null {
  const value = field.default;
  if (value === undefined) return null;
  if (Array.isArray(value)) return ANY_DEFAULT;
  if (typeof value === 'object') {
    const fn = value as { name: string };
    if (fn.name === 'now') return 'now()';
    if (fn.name === 'autoincrement' || fn.name === 'sequence') return 'autoincrement()';
    if (fn.name === 'dbgenerated') return ANY_DEFAULT;
    return null;
  }
  if (field.isList || ['Json', 'Bytes', 'DateTime'].includes(field.type)) return ANY_DEFAULT;
  if (enumType) {
    const member = enumType.values.find((v) => v.name === value);
    return canonicalLiteral(member?.dbName ?? String(value));
  }
  return canonicalLiteral(String(value));
}

function relationToForeignKey(model: Model, relation: Field, datamodel: Datamodel): ForeignKeyShape {
  const target = datamodel.models.find((m) => m.name === relation.type)!;
  const from = (relation.relationFromFields ?? []).map((n) => fieldOf(model, n));
  // Prisma's referential actions when none is given: Restrict, or SetNull if the relation is optional.
  const onDelete = relation.relationOnDelete ?? (from.some((f) => !f.isRequired) ? 'SetNull' : 'Restrict');
  return {
    columns: from.map(columnName),
    referencedTable: `${target.schema ?? 'public'}.${tableName(target)}`,
    referencedColumns: (relation.relationToFields ?? []).map((n) => columnName(fieldOf(target, n))),
    onDelete: referentialAction(onDelete),
    onUpdate: referentialAction(relation.relationOnUpdate ?? 'Cascade'),
  };
}

function referentialAction(prismaAction: string): string {
  return prismaAction.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

function fieldOf(model: Model, name: string): Field {
  const field = model.fields.find((f) => f.name === name);
  if (!field) throw new Error(`model ${model.name} has no field ${name}`);
  return field;
}

const tableName = (model: Model): string => model.dbName ?? model.name;
const columnName = (field: Field): string => field.dbName ?? field.name;

/** Prisma's default name for a key or index: `<table>[_<columns>]<suffix>`, cut to fit 63 bytes. */
export function constraintName(table: string, columns: readonly string[], suffix: string): string {
  const stem = columns.length > 0 ? `${table}_${columns.join('_')}` : table;
  const room = MAX_IDENTIFIER - suffix.length;
  return `${stem.length >= room ? stem.slice(0, room) : stem}${suffix}`;
}

/** Compares an expected shape (schema.prisma) with an actual one (the database), reporting both ways. */
export function compareShapes(expected: DatabaseShape, actual: DatabaseShape): string[] {
  return [
    ...compareNamed('table', expected.tables, actual.tables, (t) => `${t.schema}.${t.name}`, compareTables),
    ...compareNamed('enum', expected.enums, actual.enums, (e) => e.name, compareEnums),
  ];
}

/**
 * Pairs up two lists by key: what only the schema has is missing from the database, what only the
 * database has is extra, and pairs present on both sides are compared by `compare`.
 */
function compareNamed<T>(
  kind: string,
  expected: readonly T[],
  actual: readonly T[],
  keyOf: (item: T) => string,
  compare: (label: string, expected: T, actual: T) => string[],
): string[] {
  const actualByKey = new Map(actual.map((a) => [keyOf(a), a]));
  const expectedKeys = new Set(expected.map(keyOf));
  const differences: string[] = [];
  for (const e of expected) {
    const key = keyOf(e);
    const a = actualByKey.get(key);
    if (a === undefined) differences.push(`${kind} ${key}: in schema.prisma but missing from the database`);
    else differences.push(...compare(`${kind} ${key}`, e, a));
  }
  for (const a of actual) {
    if (!expectedKeys.has(keyOf(a))) differences.push(`${kind} ${keyOf(a)}: in the database but not in schema.prisma`);
  }
  return differences;
}

function compareTables(label: string, expected: TableShape, actual: TableShape): string[] {
  const qualified = `${expected.schema}.${expected.name}`;
  return [
    ...compareNamed('column', expected.columns, actual.columns, (c) => `${qualified}.${c.name}`, compareColumns),
    ...compareValue(`${label}: primary key`, describePrimaryKey(expected.primaryKey), describePrimaryKey(actual.primaryKey)),
    ...compareNamed('index', expected.indexes, actual.indexes, (i) => `${expected.schema}.${i.name} on ${qualified}`, (l, e, a) =>
      compareValue(l, describeIndex(e), describeIndex(a)),
    ),
    ...compareNamed('foreign key', expected.foreignKeys, actual.foreignKeys, (f) => `${qualified} (${f.columns.join(', ')})`, (l, e, a) =>
      compareValue(l, describeForeignKey(e), describeForeignKey(a)),
    ),
  ];
}

function compareColumns(label: string, expected: ColumnShape, actual: ColumnShape): string[] {
  const defaultsMatch =
    expected.default === actual.default || (expected.default === ANY_DEFAULT && actual.default !== null);
  // Prisma writes list columns without NOT NULL and reads either as a list, so their nullability is moot.
  const nullabilityMatters = !expected.type.endsWith('[]');
  return [
    ...compareValue(`${label}: type`, expected.type, actual.type),
    ...(!nullabilityMatters ? [] : compareValue(`${label}: nullability`, expected.nullable ? 'nullable' : 'NOT NULL', actual.nullable ? 'nullable' : 'NOT NULL')),
    ...(defaultsMatch ? [] : [`${label}: default is ${expected.default ?? 'none'} in schema.prisma, ${actual.default ?? 'none'} in the database`]),
  ];
}

function compareEnums(label: string, expected: EnumShape, actual: EnumShape): string[] {
  return compareValue(`${label}: values`, expected.values.join(', '), actual.values.join(', '));
}

function compareValue(label: string, expected: string, actual: string): string[] {
  return expected === actual ? [] : [`${label} is ${expected} in schema.prisma, ${actual} in the database`];
}

function describePrimaryKey(key: TableShape['primaryKey']): string {
  return key ? `${key.name} (${key.columns.join(', ')})` : 'none';
}

function describeIndex(index: IndexShape): string {
  const using = index.method === 'btree' ? '' : ` USING ${index.method}`;
  const where = index.predicate ? ` WHERE ${index.predicate}` : '';
  return `${index.unique ? 'UNIQUE ' : ''}(${index.columns.join(', ')})${using}${where}`;
}

function describeForeignKey(key: ForeignKeyShape): string {
  return `REFERENCES ${key.referencedTable} (${key.referencedColumns.join(', ')}) ON DELETE ${key.onDelete} ON UPDATE ${key.onUpdate}`;
}
