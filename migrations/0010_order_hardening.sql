-- Hardening of ordering after the outside security review: coupons scoped to their seller, each
-- order line's part of the order's discount, what coupons cost per product and day, and the
-- unpaid-order cap's count.

-- A coupon's scope: a SELLER's coupon covers that seller's products only (its minimum, percentage
-- and cap apply to their lines of an order); NULL is shop-wide (an ADMIN's). Coupons made before
-- this took the scope of whoever created them.
ALTER TABLE coupons ADD COLUMN seller_id bigint;
UPDATE coupons c SET seller_id = c.created_by FROM users u WHERE u.id = c.created_by AND u.role = 'SELLER';
ALTER TABLE coupons ADD CONSTRAINT coupons_scope_is_its_seller CHECK (seller_id IS NULL OR seller_id = created_by);

-- Each line's part of its order's discount: only lines the coupon covers get any, and the parts
-- add up to the order's discount_amount (checked at commit below).
ALTER TABLE order_items ADD COLUMN discount_amount bigint NOT NULL DEFAULT 0;
ALTER TABLE order_items ADD CONSTRAINT order_items_discount_within_amount CHECK (discount_amount >= 0 AND discount_amount <= amount);

-- Orders placed before this had their discount taken off the whole order: it is split over all
-- their lines the way the service splits one (in proportion to the line amounts, rounded down,
-- the won left over one each to the lines that lost the most in rounding, the earlier line first).
-- Lines never change, so their guard steps aside for this one write of the new column.
ALTER TABLE order_items DISABLE TRIGGER order_items_never_change;
UPDATE order_items i
SET discount_amount = (r.base + CASE WHEN r.place <= r.left_over THEN 1 ELSE 0 END)::bigint
FROM (
  WITH shares AS (
    SELECT l.order_id, l.line_no, o.discount_amount AS discount,
           o.discount_amount::numeric * l.amount AS scaled,
           sum(l.amount) OVER (PARTITION BY l.order_id) AS lines_total
    FROM order_items l JOIN orders o ON o.id = l.order_id
    WHERE o.discount_amount > 0
  ), floored AS (
    SELECT order_id, line_no, discount, floor(scaled / lines_total) AS base, scaled - floor(scaled / lines_total) * lines_total AS rest
    FROM shares
  )
  SELECT order_id, line_no, base,
         row_number() OVER (PARTITION BY order_id ORDER BY rest DESC, line_no) AS place,
         discount - sum(base) OVER (PARTITION BY order_id) AS left_over
  FROM floored
) r
WHERE i.order_id = r.order_id AND i.line_no = r.line_no;
ALTER TABLE order_items ENABLE TRIGGER order_items_never_change;

-- At commit, an order's lines carry exactly its discount. Checked only where a discount is
-- written (an order or line with one, or a changed order discount), so orders without a coupon,
-- the hot path, queue no check at all.
CREATE FUNCTION orders_check_discount_allocated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  checked bigint;
  wanted bigint;
  allocated bigint;
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    checked := NEW.id;
  ELSE
    checked := NEW.order_id;
  END IF;
  SELECT discount_amount INTO wanted FROM orders WHERE id = checked;
  SELECT COALESCE(sum(discount_amount), 0) INTO allocated FROM order_items WHERE order_id = checked;
  IF wanted IS DISTINCT FROM allocated THEN
    RAISE EXCEPTION 'order % has a discount of % but its lines carry %', checked, wanted, allocated
      USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_discount_allocated';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER orders_discount_allocated AFTER INSERT ON orders
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.discount_amount > 0)
  EXECUTE FUNCTION orders_check_discount_allocated();

CREATE CONSTRAINT TRIGGER orders_discount_reallocated AFTER UPDATE OF discount_amount ON orders
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.discount_amount IS DISTINCT FROM OLD.discount_amount)
  EXECUTE FUNCTION orders_check_discount_allocated();

CREATE CONSTRAINT TRIGGER order_items_discount_allocated AFTER INSERT ON order_items
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.discount_amount > 0)
  EXECUTE FUNCTION orders_check_discount_allocated();

-- What coupons took off each product's sales of a day, kept by payments and taken back by refunds
-- exactly like revenue (which stays gross: a seller's revenue is never touched by anyone's
-- coupon, and a seller sees here what their coupons cost them).
ALTER TABLE product_sales_daily ADD COLUMN discount bigint NOT NULL DEFAULT 0;

-- Sales recorded before this, as the payments would have recorded them (see 0007): on the UTC
-- day each payment completed, refunded orders left out.
UPDATE product_sales_daily s SET discount = b.discount
FROM (
  SELECT i.product_id, (p.updated_at AT TIME ZONE 'UTC')::date AS day, sum(i.discount_amount) AS discount
  FROM payments p
  JOIN order_items i ON i.order_id = p.order_id
  WHERE p.status = 'COMPLETED'
    AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = p.order_id AND r.status <> 'FAILED')
  GROUP BY i.product_id, (p.updated_at AT TIME ZONE 'UTC')::date
  HAVING sum(i.discount_amount) > 0
) b
WHERE s.product_id = b.product_id AND s.day = b.day;

-- A line's discount is at most its amount, so a day's discount is at most its revenue, and goes
-- to zero with its units.
ALTER TABLE product_sales_daily ADD CONSTRAINT product_sales_daily_discount_within_revenue CHECK (discount >= 0 AND discount <= revenue);

-- The statistics read the discount too: still an index-only scan of the days asked for.
DROP INDEX product_sales_daily_by_day;
CREATE INDEX product_sales_daily_by_day ON product_sales_daily (day) INCLUDE (product_id, units, revenue, discount);

-- A user's live unpaid orders, counted under their placing lock on every order placed while the
-- cap (MAX_UNPAID_ORDERS_PER_USER) is on: only live rows are indexed, so the count reads a few
-- entries whatever the user's history, and the earliest expiry (Retry-After) comes with them.
CREATE INDEX orders_unpaid_by_user ON orders (user_id, reservation_expires_at) WHERE status IN ('CREATED', 'PENDING');
