-- Orders with their lines, payments, refunds, the transactional outbox, and lease locks.
-- Money is bigint won (an order of 30 items at the highest price exceeds integer).

CREATE TABLE orders (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id                bigint NOT NULL REFERENCES users (id),
  status                 text NOT NULL CHECK (status IN ('CREATED', 'PENDING', 'CONFIRMED', 'PREPARING', 'SHIPPED',
                                                         'DELIVERED', 'COMPLETED', 'CANCELLED', 'FAILED')),
  total_amount           bigint NOT NULL CHECK (total_amount > 0),
  discount_amount        bigint NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
  final_amount           bigint NOT NULL CHECK (final_amount >= 0),
  user_coupon_id         bigint,
  reservation_expires_at timestamptz NOT NULL,
  cancel_reason          text,
  version                integer NOT NULL DEFAULT 0 CHECK (version >= 0),
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  CONSTRAINT orders_amounts_add_up CHECK (discount_amount <= total_amount AND final_amount = total_amount - discount_amount)
);

CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_newest ON orders (created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC, id DESC);
-- The sweeper's and the recovery job's work lists stay small: only live rows are indexed.
CREATE INDEX orders_reservations_running ON orders (reservation_expires_at) WHERE status = 'CREATED';
CREATE INDEX orders_pending_since ON orders (updated_at) WHERE status = 'PENDING';

CREATE TABLE order_items (
  order_id     bigint NOT NULL REFERENCES orders (id),
  line_no      smallint NOT NULL CHECK (line_no >= 1),
  product_id   bigint NOT NULL REFERENCES products (id),
  option_id    bigint NOT NULL REFERENCES product_options (id),
  seller_id    bigint NOT NULL REFERENCES users (id),
  product_name text NOT NULL,
  option_name  text NOT NULL,
  unit_price   bigint NOT NULL CHECK (unit_price > 0),
  quantity     integer NOT NULL CHECK (quantity >= 1),
  amount       bigint NOT NULL,
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT order_items_one_line_per_option UNIQUE (order_id, option_id),
  CONSTRAINT order_items_amount_is_price_times_quantity CHECK (amount = unit_price * quantity)
);

CREATE INDEX order_items_by_seller ON order_items (seller_id, order_id);
CREATE INDEX order_items_by_product ON order_items (product_id);

CREATE TABLE payments (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id       bigint NOT NULL REFERENCES orders (id),
  user_id        bigint NOT NULL REFERENCES users (id),
  amount         bigint NOT NULL CHECK (amount >= 0),
  status         text NOT NULL CHECK (status IN ('INITIATED', 'VALIDATING', 'LOCK_ACQUIRED', 'DEBITED',
                                                 'GATEWAY_REQUESTED', 'COMPLETED', 'FAILED')),
  failure_reason text,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

CREATE INDEX payments_by_order ON payments (order_id, id DESC);
-- An order has at most one payment that is not FAILED: a second one can never debit again.
CREATE UNIQUE INDEX payments_one_live_per_order ON payments (order_id) WHERE status <> 'FAILED';

CREATE TABLE refunds (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id   bigint NOT NULL REFERENCES orders (id),
  payment_id bigint NOT NULL REFERENCES payments (id),
  amount     bigint NOT NULL CHECK (amount >= 0),
  status     text NOT NULL CHECK (status IN ('REFUND_REQUESTED', 'PROCESSING', 'REFUNDED', 'FAILED', 'MANUAL')),
  reason     text,
  created_at timestamptz NOT NULL
);

-- An order is refunded at most once.
CREATE UNIQUE INDEX refunds_once_per_order ON refunds (order_id) WHERE status <> 'FAILED';

-- Orders, their lines, payments and refunds are records of what happened: never deleted,
-- and a line never changes.
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is a permanent record (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER orders_never_deleted BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER order_items_never_change BEFORE UPDATE OR DELETE ON order_items FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER payments_never_deleted BEFORE DELETE ON payments FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER refunds_never_deleted BEFORE DELETE ON refunds FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- The transactional outbox: written in the transaction of the change, delivered by the relay.
CREATE TABLE outbox_events (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The order events happened in (per aggregate delivery follows it).
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  type            text NOT NULL,
  aggregate_type  text NOT NULL,
  aggregate_id    bigint NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'PROCESSING', 'SENT', 'FAILED', 'ALERTED')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      text,
  next_attempt_at timestamptz NOT NULL,
  occurred_at     timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);

CREATE INDEX outbox_events_due ON outbox_events (next_attempt_at, seq) WHERE status IN ('PENDING', 'FAILED');
CREATE INDEX outbox_events_by_aggregate ON outbox_events (aggregate_type, aggregate_id, seq);
CREATE INDEX outbox_events_by_status ON outbox_events (status, seq);

-- Leases for the database lock (used when Redis is not configured).
CREATE TABLE distributed_locks (
  name       text PRIMARY KEY,
  owner      text NOT NULL,
  expires_at timestamptz NOT NULL
);
