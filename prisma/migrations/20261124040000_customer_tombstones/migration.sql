-- Cart, order and push keep a deleted customer as a tombstone (deleted_at set, name and e-mail cleared), so a
-- customer.upserted handled after the customer.deleted it preceded cannot make the customer known again.

-- AlterTable
ALTER TABLE "cart"."customers" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3),
ALTER COLUMN "name" DROP NOT NULL,
ALTER COLUMN "email" DROP NOT NULL;

-- AlterTable
ALTER TABLE "order"."customers" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3),
ALTER COLUMN "name" DROP NOT NULL,
ALTER COLUMN "email" DROP NOT NULL;

-- AlterTable
ALTER TABLE "push"."customers" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);
