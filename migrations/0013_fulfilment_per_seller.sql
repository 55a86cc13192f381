-- Fulfilment per seller: each order line carries its own fulfilment status, which its seller moves
-- one step at a time (ORDERED → PREPARING → SHIPPED → DELIVERED), and the order's status follows
-- from its lines. Until now an order had one status for everyone's goods, so an order with lines
-- of several sellers could only be moved by an ADMIN.

ALTER TABLE order_items ADD COLUMN status text NOT NULL DEFAULT 'ORDERED'
  CONSTRAINT order_items_status_known CHECK (status IN ('ORDERED', 'PREPARING', 'SHIPPED', 'DELIVERED'));

-- A seller's orders, newest first (GET /orders as a SELLER), read from the seller's lines alone:
-- each line carries when its order was placed, so one index walks a seller's orders in the
-- list's order (the order's created_at, then its id), instead of sorting all of them. The
-- composite foreign key below holds it equal to the order's created_at.
ALTER TABLE order_items ADD COLUMN placed_at timestamptz;

-- Lines used to be unchangeable altogether. They still are never deleted, and what was bought
-- (product, option, seller, names, price, quantity, amounts, when) never changes; only the status moves,
-- one step forward at a time. Columns added after this one are not this guard's business.
DROP TRIGGER order_items_never_change ON order_items;
CREATE TRIGGER order_items_never_deleted BEFORE DELETE ON order_items FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Every line takes its order's placing time, and the lines of orders already on their way take
-- their order's status (before the step guard exists: a DELIVERED order's lines go from ORDERED
-- to DELIVERED in one write, once). One pass over the lines.
UPDATE order_items i
SET placed_at = o.created_at,
    status = CASE o.status
      WHEN 'PREPARING' THEN 'PREPARING'
      WHEN 'SHIPPED' THEN 'SHIPPED'
      WHEN 'DELIVERED' THEN 'DELIVERED'
      WHEN 'COMPLETED' THEN 'DELIVERED'
      ELSE 'ORDERED'
    END
FROM orders o
WHERE o.id = i.order_id;

ALTER TABLE order_items ALTER COLUMN placed_at SET NOT NULL;
-- The line's order, and its placing time, in one foreign key (in place of the one on order_id
-- alone, so placing an order checks no more than before).
ALTER TABLE orders ADD CONSTRAINT orders_id_created_at_key UNIQUE (id, created_at);
ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey;
ALTER TABLE order_items ADD CONSTRAINT order_items_placed_with_its_order
  FOREIGN KEY (order_id, placed_at) REFERENCES orders (id, created_at);
-- In place of order_items_by_seller (seller_id, order_id), which only the seller's list used.
DROP INDEX order_items_by_seller;
CREATE INDEX order_items_by_seller_newest ON order_items (seller_id, placed_at DESC, order_id DESC);

CREATE FUNCTION order_items_guard_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.order_id, NEW.line_no, NEW.product_id, NEW.option_id, NEW.seller_id, NEW.product_name, NEW.option_name,
      NEW.unit_price, NEW.quantity, NEW.amount, NEW.discount_amount, NEW.placed_at)
     IS DISTINCT FROM
     (OLD.order_id, OLD.line_no, OLD.product_id, OLD.option_id, OLD.seller_id, OLD.product_name, OLD.option_name,
      OLD.unit_price, OLD.quantity, OLD.amount, OLD.discount_amount, OLD.placed_at) THEN
    RAISE EXCEPTION 'order_items is a permanent record: only a line''s status may change'
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status
     AND (OLD.status, NEW.status) NOT IN (('ORDERED', 'PREPARING'), ('PREPARING', 'SHIPPED'), ('SHIPPED', 'DELIVERED')) THEN
    RAISE EXCEPTION 'order % line %: % cannot move to % (one step forward at a time)', OLD.order_id, OLD.line_no, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'order_items_one_step_forward';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER order_items_only_status_moves BEFORE UPDATE ON order_items FOR EACH ROW EXECUTE FUNCTION order_items_guard_change();

-- At commit, an order's status agrees with its lines:
--   CONFIRMED, PREPARING, SHIPPED, DELIVERED: the status its lines give it (CONFIRMED while every
--     line is ORDERED; PREPARING while any is ORDERED or PREPARING; SHIPPED once all are SHIPPED or
--     DELIVERED; DELIVERED once all are DELIVERED);
--   COMPLETED: every line DELIVERED;
--   CANCELLED: no line SHIPPED or DELIVERED (a refund only before any goods left);
--   CREATED, PENDING, FAILED: every line ORDERED.
-- Checked where fulfilment writes: a line's status, or an order's move into fulfilment, completion
-- or a refund. Placing, paying and cancelling unpaid orders (the hot paths) queue no check.
CREATE FUNCTION orders_check_status_follows_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  checked bigint;
  order_status text;
  lines integer;
  ordered integer;
  preparing integer;
  shipped integer;
  delivered integer;
  from_lines text;
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    checked := NEW.id;
  ELSE
    checked := NEW.order_id;
  END IF;
  SELECT status INTO order_status FROM orders WHERE id = checked;
  SELECT count(*), count(*) FILTER (WHERE status = 'ORDERED'), count(*) FILTER (WHERE status = 'PREPARING'),
         count(*) FILTER (WHERE status = 'SHIPPED'), count(*) FILTER (WHERE status = 'DELIVERED')
    INTO lines, ordered, preparing, shipped, delivered
    FROM order_items WHERE order_id = checked;
  from_lines := CASE
    WHEN ordered = lines THEN 'CONFIRMED'
    WHEN ordered + preparing > 0 THEN 'PREPARING'
    WHEN delivered = lines THEN 'DELIVERED'
    ELSE 'SHIPPED'
  END;
  IF (order_status IN ('CONFIRMED', 'PREPARING', 'SHIPPED', 'DELIVERED') AND order_status <> from_lines)
     OR (order_status = 'COMPLETED' AND delivered <> lines)
     OR (order_status = 'CANCELLED' AND shipped + delivered > 0)
     OR (order_status IN ('CREATED', 'PENDING', 'FAILED') AND ordered <> lines) THEN
    RAISE EXCEPTION 'order % is % but its lines (% ordered, % preparing, % shipped, % delivered) say %',
      checked, order_status, ordered, preparing, shipped, delivered, from_lines
      USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_status_follows_lines';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER orders_status_follows_lines AFTER UPDATE OF status ON orders
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.status IN ('PREPARING', 'SHIPPED', 'DELIVERED', 'COMPLETED')
        OR (NEW.status = 'CANCELLED' AND OLD.status IN ('CONFIRMED', 'PREPARING')))
  EXECUTE FUNCTION orders_check_status_follows_lines();

CREATE CONSTRAINT TRIGGER order_items_status_follows_lines AFTER UPDATE OF status ON order_items
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
  EXECUTE FUNCTION orders_check_status_follows_lines();
