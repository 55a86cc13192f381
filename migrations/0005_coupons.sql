-- Coupons and the coupons users hold. The counters and the per-user numbering are guarded here,
-- so nothing is over-issued whatever Redis says or forgets.

CREATE TABLE coupons (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,40}$'),
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  type                text NOT NULL CHECK (type IN ('PERCENTAGE', 'FIXED')),
  discount_value      bigint NOT NULL CHECK (discount_value >= 1),
  max_discount_amount bigint CHECK (max_discount_amount >= 1),
  min_order_amount    bigint NOT NULL DEFAULT 0 CHECK (min_order_amount >= 0),
  -- NULL: unlimited.
  total_quantity      bigint CHECK (total_quantity >= 1),
  issued_quantity     bigint NOT NULL DEFAULT 0,
  per_user_limit      integer NOT NULL DEFAULT 1 CHECK (per_user_limit BETWEEN 1 AND 100),
  valid_from          timestamptz NOT NULL,
  valid_until         timestamptz NOT NULL,
  -- What was set; CREATED, ACTIVE and EXHAUSTED are read off the window and the counters.
  status              text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CANCELLED', 'EXPIRED')),
  created_by          bigint NOT NULL REFERENCES users (id),
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  CONSTRAINT coupons_percentage_range CHECK (type <> 'PERCENTAGE' OR discount_value <= 100),
  -- The first-come-first-served guard: an UPDATE that would issue one too many fails here.
  CONSTRAINT coupons_never_over_issued CHECK (issued_quantity >= 0 AND (total_quantity IS NULL OR issued_quantity <= total_quantity)),
  CONSTRAINT coupons_window CHECK (valid_until > valid_from)
);

CREATE UNIQUE INDEX coupons_code_key ON coupons (upper(code));
CREATE INDEX coupons_running_until ON coupons (valid_until) WHERE status IN ('ACTIVE', 'SUSPENDED');

CREATE TABLE user_coupons (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  coupon_id  bigint NOT NULL REFERENCES coupons (id),
  user_id    bigint NOT NULL REFERENCES users (id),
  -- The user's n-th copy of this coupon: 1..per_user_limit (checked by the trigger below).
  n          integer NOT NULL CHECK (n >= 1),
  status     text NOT NULL DEFAULT 'ISSUED' CHECK (status IN ('ISSUED', 'USED', 'EXPIRED', 'REFUNDED')),
  -- The order it is bound to (unpaid) or was used by (USED).
  order_id   bigint REFERENCES orders (id),
  issued_at  timestamptz NOT NULL,
  used_at    timestamptz,
  expires_at timestamptz NOT NULL,
  CONSTRAINT user_coupons_once_per_number UNIQUE (coupon_id, user_id, n),
  CONSTRAINT user_coupons_used_has_order CHECK (status <> 'USED' OR (order_id IS NOT NULL AND used_at IS NOT NULL)),
  CONSTRAINT user_coupons_expired_unbound CHECK (status <> 'EXPIRED' OR order_id IS NULL)
);

CREATE INDEX user_coupons_by_user ON user_coupons (user_id, id DESC);
CREATE INDEX user_coupons_expiring ON user_coupons (expires_at) WHERE status IN ('ISSUED', 'REFUNDED') AND order_id IS NULL;

CREATE FUNCTION user_coupons_within_limit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  allowed integer;
BEGIN
  SELECT per_user_limit INTO allowed FROM coupons WHERE id = NEW.coupon_id;
  IF NEW.n > allowed THEN
    RAISE EXCEPTION 'user % already holds % of coupon %', NEW.user_id, allowed, NEW.coupon_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'user_coupons_within_limit';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER user_coupons_within_limit BEFORE INSERT OR UPDATE OF n, coupon_id ON user_coupons
  FOR EACH ROW EXECUTE FUNCTION user_coupons_within_limit();

ALTER TABLE orders ADD CONSTRAINT orders_user_coupon_fk FOREIGN KEY (user_coupon_id) REFERENCES user_coupons (id);
-- A user coupon is held by at most one order that is not over (cancelled or failed): two orders
-- racing for it cannot both keep it.
CREATE UNIQUE INDEX orders_one_live_per_user_coupon ON orders (user_coupon_id)
  WHERE user_coupon_id IS NOT NULL AND status NOT IN ('CANCELLED', 'FAILED');
