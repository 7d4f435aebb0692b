-- Event plumbing for every service: outbox, processed messages, dead letters.

-- CreateTable
CREATE TABLE "cart"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cart"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "cart"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "cart"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "cart"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "cart"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "cart"."dead_letters"("dead_lettered_at");

-- CreateTable
CREATE TABLE "customer"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customer"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "customer"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "customer"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "customer"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "customer"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "customer"."dead_letters"("dead_lettered_at");

-- CreateTable
CREATE TABLE "email"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "email"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "email"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "email"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "email"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "email"."dead_letters"("dead_lettered_at");

-- CreateTable
CREATE TABLE "inventory"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inventory"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "inventory"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "inventory"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "inventory"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "inventory"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "inventory"."dead_letters"("dead_lettered_at");

-- CreateTable
CREATE TABLE "notification"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "notification"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "notification"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "notification"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "notification"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "notification"."dead_letters"("dead_lettered_at");

-- CreateTable
CREATE TABLE "order"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "order"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "order"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "order"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "order"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "order"."dead_letters"("dead_lettered_at");

-- CreateTable
CREATE TABLE "product"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "product"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "product"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "product"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "product"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "product"."dead_letters"("dead_lettered_at");

-- CreateTable
CREATE TABLE "push"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "push"."processed_messages" (
    "subscriber" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("subscriber","event_id")
);

-- CreateTable
CREATE TABLE "push"."dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "subscription" TEXT NOT NULL,
    "event_id" TEXT,
    "topic" TEXT,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "last_error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_lettered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMPTZ(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "push"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_unpublished_idx" ON "push"."outbox"("published_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_subscription_event_id_key" ON "push"."dead_letters"("subscription", "event_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_lettered_at_idx" ON "push"."dead_letters"("dead_lettered_at");
