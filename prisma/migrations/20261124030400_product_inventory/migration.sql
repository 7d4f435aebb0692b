-- inventory ----------------------------------------------------------------
-- The last stock.changed version of a deleted stock record, so a re-created record's versions keep growing.
CREATE TABLE "inventory"."deleted_stock" (
    "sku" TEXT NOT NULL,
    "version" BIGINT NOT NULL,
    "deleted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deleted_stock_pkey" PRIMARY KEY ("sku")
);
