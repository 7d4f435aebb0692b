-- Cart and order keep a deleted product as a tombstone marked by deleted_at (dated by the product.deleted it
-- came from), as they keep a deleted customer: a product.upserted of the same moment must lose to the deletion,
-- and `active = false` alone cannot tell a deletion from a product upserted inactive.

-- AlterTable
ALTER TABLE "cart"."products" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "order"."products" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);
