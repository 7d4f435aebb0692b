import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useScratchDatabase, withClient, type ScratchDatabase } from './scratch-database';
import { findSchemaDrift } from './schema-drift';

let db: ScratchDatabase;

beforeAll(async () => {
  db = await useScratchDatabase({ migrated: true });
});

/** Applies `ddl` in a transaction, reports the drift it causes, and rolls it back: one change at a time. */
async function driftAfter(ddl: string, schemaDir?: string): Promise<string[]> {
  return withClient(db.url, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(ddl);
      return await findSchemaDrift(client, schemaDir ? { schemaDir } : {});
    } finally {
      await client.query('ROLLBACK');
    }
  });
}

describe('findSchemaDrift on the migrated database', () => {
  it('finds no difference between the migrations and schema.prisma', async () => {
    expect(await findSchemaDrift(db.url)).toEqual([]);
  });
});

describe('findSchemaDrift on a changed database', () => {
  it.each([
    {
      change: 'a dropped column',
      ddl: 'ALTER TABLE "customer"."customers" DROP COLUMN "name"',
      reported: 'column customer.customers.name: in schema.prisma but missing from the database',
    },
    {
      change: 'an added column',
      ddl: 'ALTER TABLE "product"."products" ADD COLUMN "colour" TEXT',
      reported: 'column product.products.colour: in the database but not in schema.prisma',
    },
    {
      change: 'a changed type',
      ddl: 'ALTER TABLE "product"."products" ALTER COLUMN "currency" TYPE VARCHAR(3)',
      reported: 'column product.products.currency: type is character(3) in schema.prisma, character varying(3) in the database',
    },
    {
      change: 'a changed timestamp precision',
      ddl: 'ALTER TABLE "inventory"."stock" ALTER COLUMN "updated_at" TYPE TIMESTAMPTZ(6)',
      reported:
        'column inventory.stock.updated_at: type is timestamp(3) with time zone in schema.prisma, timestamp(6) with time zone in the database',
    },
    {
      change: 'a column made nullable',
      ddl: 'ALTER TABLE "customer"."customers" ALTER COLUMN "email" DROP NOT NULL',
      reported: 'column customer.customers.email: nullability is NOT NULL in schema.prisma, nullable in the database',
    },
    {
      change: 'a dropped default',
      ddl: 'ALTER TABLE "inventory"."stock" ALTER COLUMN "reserved" DROP DEFAULT',
      reported: 'column inventory.stock.reserved: default is 0 in schema.prisma, none in the database',
    },
    {
      change: 'a changed default',
      ddl: `ALTER TABLE "product"."products" ALTER COLUMN "currency" SET DEFAULT 'USD'`,
      reported: `column product.products.currency: default is 'EUR' in schema.prisma, 'USD' in the database`,
    },
    {
      change: 'a dropped index',
      ddl: 'DROP INDEX "customer"."customers_created_at_idx"',
      reported: 'index customer.customers_created_at_idx on customer.customers: in schema.prisma but missing from the database',
    },
    {
      change: 'an index with its columns in another order',
      ddl: `DROP INDEX "customer"."customers_created_at_idx";
            CREATE INDEX "customers_created_at_idx" ON "customer"."customers" ("customer_id", "created_at")`,
      reported:
        'index customer.customers_created_at_idx on customer.customers is (created_at, customer_id) in schema.prisma, (customer_id, created_at) in the database',
    },
    {
      change: 'a partial index that lost its WHERE',
      ddl: `DROP INDEX "cart"."outbox_unpublished_idx"; CREATE INDEX "outbox_unpublished_idx" ON "cart"."outbox" ("id")`,
      reported: 'index cart.outbox_unpublished_idx on cart.outbox is (id) WHERE (published_at IS NULL) in schema.prisma, (id) in the database',
    },
    {
      change: 'a partial index with another WHERE',
      ddl: `DROP INDEX "cart"."outbox_unpublished_idx"; CREATE INDEX "outbox_unpublished_idx" ON "cart"."outbox" ("id") WHERE attempts = 0`,
      reported:
        'index cart.outbox_unpublished_idx on cart.outbox is (id) WHERE (published_at IS NULL) in schema.prisma, (id) WHERE (attempts = 0) in the database',
    },
    {
      change: 'a dropped index of held outbox rows',
      ddl: 'DROP INDEX "push"."outbox_held_idx"',
      reported: 'index push.outbox_held_idx on push.outbox: in schema.prisma but missing from the database',
    },
    {
      change: 'a renamed unique constraint',
      ddl: 'ALTER INDEX "customer"."customers_email_key" RENAME TO "customers_email_uq"',
      reported: 'index customer.customers_email_key on customer.customers: in schema.prisma but missing from the database',
    },
    {
      change: 'a unique index made ordinary',
      ddl: `DROP INDEX "customer"."customers_email_key"; CREATE INDEX "customers_email_key" ON "customer"."customers" ("email")`,
      reported: 'index customer.customers_email_key on customer.customers is UNIQUE (email) in schema.prisma, (email) in the database',
    },
    {
      change: 'a renamed primary key',
      ddl: 'ALTER TABLE "inventory"."stock" RENAME CONSTRAINT "stock_pkey" TO "stock_pk"',
      reported: 'table inventory.stock: primary key is stock_pkey (sku) in schema.prisma, stock_pk (sku) in the database',
    },
    {
      change: 'a stray table in a service schema',
      ddl: 'CREATE TABLE "cart"."leftovers" ("id" INTEGER PRIMARY KEY)',
      reported: 'table cart.leftovers: in the database but not in schema.prisma',
    },
    {
      change: 'a dropped table',
      ddl: 'DROP TABLE "inventory"."stock"',
      reported: 'table inventory.stock: in schema.prisma but missing from the database',
    },
  ])('reports $change', async ({ ddl, reported }) => {
    expect(await driftAfter(ddl)).toContain(reported);
  });

  it('reports the renamed unique constraint under its new name as well', async () => {
    const drift = await driftAfter('ALTER INDEX "customer"."customers_email_key" RENAME TO "customers_email_uq"');
    expect(drift).toContain('index customer.customers_email_uq on customer.customers: in the database but not in schema.prisma');
  });

  it('ignores tables outside the datasource schemas and the migrations table', async () => {
    const drift = await driftAfter(`CREATE SCHEMA "elsewhere"; CREATE TABLE "elsewhere"."t" ("id" INTEGER);
      CREATE TABLE "public"."t" ("id" INTEGER)`);
    expect(drift).toEqual([]);
  });
});

describe('findSchemaDrift on a schema with relations, enums, lists and sequences', () => {
  let schemaDir: string;

  beforeAll(async () => {
    schemaDir = await mkdtemp(join(tmpdir(), 'drift-schema-'));
    await writeFile(join(schemaDir, 'schema.prisma'), RICH_SCHEMA);
  });

  afterAll(() => rm(schemaDir, { recursive: true, force: true }));

  it('finds no difference against the SQL Prisma would generate', async () => {
    expect(await driftAfter(RICH_SQL, schemaDir)).toEqual([]);
  });

  it.each([
    {
      change: 'a foreign key with another ON DELETE action',
      ddl: `ALTER TABLE "drift_b"."lines" DROP CONSTRAINT "lines_basket_id_fkey",
              ADD CONSTRAINT "lines_basket_id_fkey" FOREIGN KEY ("basket_id") REFERENCES "drift_a"."baskets"("id") ON DELETE RESTRICT ON UPDATE CASCADE`,
      reported:
        'foreign key drift_b.lines (basket_id) is REFERENCES drift_a.baskets (id) ON DELETE CASCADE ON UPDATE CASCADE in schema.prisma, REFERENCES drift_a.baskets (id) ON DELETE RESTRICT ON UPDATE CASCADE in the database',
    },
    {
      change: 'a dropped foreign key',
      ddl: 'ALTER TABLE "drift_b"."lines" DROP CONSTRAINT "lines_basket_id_fkey"',
      reported: 'foreign key drift_b.lines (basket_id): in schema.prisma but missing from the database',
    },
    {
      change: 'a missing enum value',
      ddl: `ALTER TYPE "drift_a"."basket_state" RENAME VALUE 'closed' TO 'shut'`,
      reported: 'enum basket_state: values is open, closed in schema.prisma, open, shut in the database',
    },
    {
      change: 'a serial column without its sequence',
      ddl: 'ALTER TABLE "drift_a"."baskets" ALTER COLUMN "id" DROP DEFAULT',
      reported: 'column drift_a.baskets.id: default is autoincrement() in schema.prisma, none in the database',
    },
    {
      change: 'a list turned into a scalar',
      ddl: 'ALTER TABLE "drift_a"."baskets" ALTER COLUMN "tags" TYPE TEXT USING array_to_string("tags", \',\')',
      reported: 'column drift_a.baskets.tags: type is text[] in schema.prisma, text in the database',
    },
    {
      change: 'a descending index made ascending',
      ddl: `DROP INDEX "drift_a"."baskets_created_at_label_idx"; CREATE INDEX "baskets_created_at_label_idx" ON "drift_a"."baskets"("created_at", "label")`,
      reported:
        'index drift_a.baskets_created_at_label_idx on drift_a.baskets is (created_at DESC, label) in schema.prisma, (created_at, label) in the database',
    },
  ])('reports $change', async ({ ddl, reported }) => {
    expect(await driftAfter(`${RICH_SQL};\n${ddl}`, schemaDir)).toContain(reported);
  });
});

// A schema exercising what the service schemas do not yet use, and the SQL `prisma migrate diff` writes for it.
const RICH_SCHEMA = `
datasource db {
  provider = "postgresql"
  schemas  = ["drift_a", "drift_b"]
}

enum BasketState {
  open
  closed
  @@map("basket_state")
  @@schema("drift_a")
}

model Basket {
  id        Int         @id @default(autoincrement())
  label     String      @db.VarChar(40)
  state     BasketState @default(open)
  tags      String[]
  total     Decimal     @default(0) @db.Decimal(12, 2)
  ratio     Float       @default(1.5)
  big       BigInt      @default(42)
  flags     Json        @default("{}")
  blob      Bytes?
  createdAt DateTime    @default(now()) @map("created_at")
  lines     Line[]

  @@unique([label, state])
  @@index([createdAt(sort: Desc), label])
  @@map("baskets")
  @@schema("drift_a")
}

model Line {
  basketId Int     @map("basket_id")
  sku      String
  note     String? @default("it's")
  basket   Basket  @relation(fields: [basketId], references: [id], onDelete: Cascade)

  @@id([basketId, sku], map: "lines_pk")
  @@map("lines")
  @@schema("drift_b")
}
`;

const RICH_SQL = `
CREATE SCHEMA "drift_a";
CREATE SCHEMA "drift_b";
CREATE TYPE "drift_a"."basket_state" AS ENUM ('open', 'closed');
CREATE TABLE "drift_a"."baskets" (
    "id" SERIAL NOT NULL,
    "label" VARCHAR(40) NOT NULL,
    "state" "drift_a"."basket_state" NOT NULL DEFAULT 'open',
    "tags" TEXT[],
    "total" DECIMAL(12,2) NOT NULL DEFAULT 0,
    "ratio" DOUBLE PRECISION NOT NULL DEFAULT 1.5,
    "big" BIGINT NOT NULL DEFAULT 42,
    "flags" JSONB NOT NULL DEFAULT '{}',
    "blob" BYTEA,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "baskets_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "drift_b"."lines" (
    "basket_id" INTEGER NOT NULL,
    "sku" TEXT NOT NULL,
    "note" TEXT DEFAULT 'it''s',
    CONSTRAINT "lines_pk" PRIMARY KEY ("basket_id","sku")
);
CREATE UNIQUE INDEX "baskets_label_state_key" ON "drift_a"."baskets"("label", "state");
CREATE INDEX "baskets_created_at_label_idx" ON "drift_a"."baskets"("created_at" DESC, "label");
ALTER TABLE "drift_b"."lines" ADD CONSTRAINT "lines_basket_id_fkey" FOREIGN KEY ("basket_id") REFERENCES "drift_a"."baskets"("id") ON DELETE CASCADE ON UPDATE CASCADE`;
