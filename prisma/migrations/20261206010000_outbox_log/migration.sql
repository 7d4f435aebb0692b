-- The outbox log (libs/events/src/transports/outbox-log): subscriptions read the producers' outboxes as an
-- ordered log instead of copying every event into a job table per subscription.
-- log_positions, in the PRODUCER's schema: how far each subscription has read this service's outbox (every
--   row with id <= position is handled, dead-lettered or parked in the subscriber's log_retries).
-- log_retries, in the CONSUMER's schema: messages whose handler failed, with the later ones of their ordering
--   key parked behind them (a copy of each, so retention of the outbox does not concern them).
-- outbox_log_xid_first: every insert into an outbox gets its transaction id, and a shared advisory lock that
--   marks it as a writer of this outbox until it ends, BEFORE its rows take ids from the sequence. A reader
--   relies on both to know when every id up to a bound is final (see horizon.ts).
-- outbox_log_keep_unread: retention never deletes an outbox row some subscription has not read yet.

-- CreateTable
CREATE TABLE "cart"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "cart"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "cart"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "cart"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:cart'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "cart"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "cart"."outbox_log_xid_first"();

CREATE FUNCTION "cart"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "cart"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "cart"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "cart"."outbox_log_keep_unread"();

-- CreateTable
CREATE TABLE "customer"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "customer"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "customer"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "customer"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:customer'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "customer"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "customer"."outbox_log_xid_first"();

CREATE FUNCTION "customer"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "customer"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "customer"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "customer"."outbox_log_keep_unread"();

-- CreateTable
CREATE TABLE "email"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "email"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "email"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "email"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:email'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "email"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "email"."outbox_log_xid_first"();

CREATE FUNCTION "email"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "email"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "email"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "email"."outbox_log_keep_unread"();

-- CreateTable
CREATE TABLE "inventory"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "inventory"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "inventory"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "inventory"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:inventory'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "inventory"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "inventory"."outbox_log_xid_first"();

CREATE FUNCTION "inventory"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "inventory"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "inventory"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "inventory"."outbox_log_keep_unread"();

-- CreateTable
CREATE TABLE "notification"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "notification"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "notification"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "notification"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:notification'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "notification"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "notification"."outbox_log_xid_first"();

CREATE FUNCTION "notification"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "notification"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "notification"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "notification"."outbox_log_keep_unread"();

-- CreateTable
CREATE TABLE "order"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "order"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "order"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "order"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:order'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "order"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "order"."outbox_log_xid_first"();

CREATE FUNCTION "order"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "order"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "order"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "order"."outbox_log_keep_unread"();

-- CreateTable
CREATE TABLE "product"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "product"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "product"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "product"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:product'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "product"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "product"."outbox_log_xid_first"();

CREATE FUNCTION "product"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "product"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "product"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "product"."outbox_log_keep_unread"();

-- CreateTable
CREATE TABLE "push"."log_positions" (
    "subscription" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_positions_pkey" PRIMARY KEY ("subscription")
);

-- CreateTable
CREATE TABLE "push"."log_retries" (
    "subscription" TEXT NOT NULL,
    "producer" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "ordering_key" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "data" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "log_retries_pkey" PRIMARY KEY ("subscription","producer","outbox_id")
);

-- CreateIndex
CREATE INDEX "log_retries_key_idx" ON "push"."log_retries"("subscription", "producer", "ordering_key", "outbox_id");

CREATE FUNCTION "push"."outbox_log_xid_first"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  PERFORM pg_advisory_xact_lock_shared(hashtext('outbox-log'), hashtext('insert:push'));
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_log_xid_first" BEFORE INSERT ON "push"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "push"."outbox_log_xid_first"();

CREATE FUNCTION "push"."outbox_log_keep_unread"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "push"."log_positions" WHERE "position" < OLD."id") THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER "outbox_log_keep_unread" BEFORE DELETE ON "push"."outbox"
  FOR EACH ROW EXECUTE FUNCTION "push"."outbox_log_keep_unread"();
