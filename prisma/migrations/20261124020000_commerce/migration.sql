-- Commerce: catalog, stock and reservations, carts, orders, and each service's read models.

-- product ------------------------------------------------------------------
CREATE INDEX "products_name_idx" ON "product"."products"("name", "sku");
CREATE INDEX "products_price_idx" ON "product"."products"("price_cents", "sku");
CREATE INDEX "products_created_at_idx" ON "product"."products"("created_at", "sku");

CREATE TABLE "product"."availability" (
    "sku" TEXT NOT NULL,
    "available" INTEGER NOT NULL,
    "version" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "availability_pkey" PRIMARY KEY ("sku")
);

CREATE TABLE "product"."idempotency_keys" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status_code" INTEGER,
    "headers" JSONB,
    "body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope","key")
);

-- inventory ----------------------------------------------------------------
ALTER TABLE "inventory"."stock" ADD COLUMN "version" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
-- Invariant 1 (no oversell), enforced by the database as well as by the reservation code.
ALTER TABLE "inventory"."stock" ADD CONSTRAINT "stock_available_not_negative" CHECK ("available" >= 0),
    ADD CONSTRAINT "stock_reserved_not_negative" CHECK ("reserved" >= 0);

CREATE TABLE "inventory"."catalog" (
    "sku" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_pkey" PRIMARY KEY ("sku")
);

CREATE TABLE "inventory"."reservations" (
    "reservation_id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "cart_id" UUID,
    "customer_id" UUID NOT NULL,
    "order_id" UUID,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reservations_pkey" PRIMARY KEY ("reservation_id")
);
CREATE UNIQUE INDEX "reservations_request_id_key" ON "inventory"."reservations"("request_id");
CREATE INDEX "reservations_status_idx" ON "inventory"."reservations"("status", "created_at");

CREATE TABLE "inventory"."reservation_lines" (
    "reservation_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_cents" INTEGER NOT NULL,

    CONSTRAINT "reservation_lines_pkey" PRIMARY KEY ("reservation_id","sku")
);
CREATE INDEX "reservation_lines_sku_idx" ON "inventory"."reservation_lines"("sku");
ALTER TABLE "inventory"."reservation_lines" ADD CONSTRAINT "reservation_lines_reservation_id_fkey" FOREIGN KEY ("reservation_id") REFERENCES "inventory"."reservations"("reservation_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- cart ---------------------------------------------------------------------
CREATE TABLE "cart"."carts" (
    "cart_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "current_for" UUID,
    "status" TEXT NOT NULL,
    "cart_locked" BOOLEAN NOT NULL DEFAULT false,
    "currency" CHAR(3) NOT NULL DEFAULT 'EUR',
    "request_id" UUID,
    "order_id" UUID,
    "rejection" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "carts_pkey" PRIMARY KEY ("cart_id")
);
CREATE UNIQUE INDEX "carts_current_for_key" ON "cart"."carts"("current_for");
CREATE UNIQUE INDEX "carts_request_id_key" ON "cart"."carts"("request_id");
CREATE INDEX "carts_customer_id_idx" ON "cart"."carts"("customer_id", "created_at");

CREATE TABLE "cart"."cart_items" (
    "cart_id" UUID NOT NULL,
    "product_sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_cents" INTEGER NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cart_items_pkey" PRIMARY KEY ("cart_id","product_sku")
);
ALTER TABLE "cart"."cart_items" ADD CONSTRAINT "cart_items_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "cart"."carts"("cart_id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "cart"."products" (
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "active" BOOLEAN NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "products_pkey" PRIMARY KEY ("sku")
);

CREATE TABLE "cart"."customers" (
    "customer_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("customer_id")
);

CREATE TABLE "cart"."idempotency_keys" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status_code" INTEGER,
    "headers" JSONB,
    "body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope","key")
);

-- order --------------------------------------------------------------------
CREATE TABLE "order"."orders" (
    "order_id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "customer_id" UUID NOT NULL,
    "cart_id" UUID,
    "reservation_id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "shipping_address" JSONB,
    "note" TEXT,
    "cancel_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMPTZ(3),

    CONSTRAINT "orders_pkey" PRIMARY KEY ("order_id")
);
CREATE UNIQUE INDEX "orders_request_id_key" ON "order"."orders"("request_id");
CREATE INDEX "orders_customer_id_idx" ON "order"."orders"("customer_id", "created_at", "order_id");
CREATE INDEX "orders_created_at_idx" ON "order"."orders"("created_at", "order_id");

CREATE TABLE "order"."order_lines" (
    "order_id" UUID NOT NULL,
    "product_sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_cents" INTEGER NOT NULL,

    CONSTRAINT "order_lines_pkey" PRIMARY KEY ("order_id","product_sku")
);
ALTER TABLE "order"."order_lines" ADD CONSTRAINT "order_lines_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"."orders"("order_id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "order"."buy_now_requests" (
    "request_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "items" JSONB NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "order_id" UUID,
    "rejection" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "buy_now_requests_pkey" PRIMARY KEY ("request_id")
);

CREATE TABLE "order"."products" (
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "active" BOOLEAN NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "products_pkey" PRIMARY KEY ("sku")
);

CREATE TABLE "order"."customers" (
    "customer_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("customer_id")
);

CREATE TABLE "order"."idempotency_keys" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status_code" INTEGER,
    "headers" JSONB,
    "body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope","key")
);
