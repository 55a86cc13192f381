-- Issue 12: shipping addresses on orders, digital products, refunds shown on the order with their
-- lines, payments that show they were refunded, and partial refunds by line.
-- (No question mark anywhere below: knex would take it for a binding.)

-- A digital product ships nothing. Every product listed before this is physical.
ALTER TABLE products ADD COLUMN digital boolean NOT NULL DEFAULT false;

-- Each line keeps whether its product was digital when it was ordered, as it keeps its name and
-- price; lines ordered before this were all physical.
ALTER TABLE order_items ADD COLUMN digital boolean NOT NULL DEFAULT false;

-- Where an order's goods go: all four required parts or none, each trimmed and not blank; a
-- five-digit (Korean) postal code; a phone of digits with an optional leading + and single
-- spaces or hyphens between groups, 8 to 15 digits. Orders placed before this have none.
ALTER TABLE orders
  ADD COLUMN ship_recipient   text,
  ADD COLUMN ship_phone       text,
  ADD COLUMN ship_postal_code text,
  ADD COLUMN ship_line1       text,
  ADD COLUMN ship_line2       text;

ALTER TABLE orders ADD CONSTRAINT orders_shipping_address_whole
  CHECK (num_nulls(ship_recipient, ship_phone, ship_postal_code, ship_line1) IN (0, 4)
         AND (ship_line2 IS NULL OR ship_recipient IS NOT NULL));
ALTER TABLE orders ADD CONSTRAINT orders_ship_recipient_valid
  CHECK (length(ship_recipient) BETWEEN 1 AND 50 AND ship_recipient = btrim(ship_recipient) AND ship_recipient ~ '\S');
ALTER TABLE orders ADD CONSTRAINT orders_ship_phone_valid
  CHECK (length(ship_phone) <= 20 AND ship_phone ~ '^[+]{0,1}[0-9]+([ -][0-9]+)*$'
         AND length(regexp_replace(ship_phone, '[^0-9]', '', 'g')) BETWEEN 8 AND 15);
ALTER TABLE orders ADD CONSTRAINT orders_ship_postal_code_valid CHECK (ship_postal_code ~ '^[0-9]{5}$');
ALTER TABLE orders ADD CONSTRAINT orders_ship_line1_valid
  CHECK (length(ship_line1) BETWEEN 1 AND 200 AND ship_line1 = btrim(ship_line1) AND ship_line1 ~ '\S');
ALTER TABLE orders ADD CONSTRAINT orders_ship_line2_valid
  CHECK (length(ship_line2) BETWEEN 1 AND 200 AND ship_line2 = btrim(ship_line2) AND ship_line2 ~ '\S');

-- An order with a physical line has an address (checked at commit, when its lines are in). Only
-- orders written without one queue the check, so orders with an address, the usual case, cost
-- nothing more.
CREATE FUNCTION orders_check_shippable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.ship_recipient IS NULL AND EXISTS (SELECT 1 FROM order_items WHERE order_id = NEW.id AND NOT digital) THEN
    RAISE EXCEPTION 'order % has a physical line but no shipping address', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_physical_goods_have_an_address';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER orders_physical_goods_have_an_address AFTER INSERT ON orders
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.ship_recipient IS NULL)
  EXECUTE FUNCTION orders_check_shippable();

CREATE CONSTRAINT TRIGGER orders_physical_goods_keep_an_address AFTER UPDATE OF ship_recipient ON orders
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.ship_recipient IS NULL)
  EXECUTE FUNCTION orders_check_shippable();

-- Order lines get an id of their own: what a partial refund names (orderItemId). Written only
-- if nothing before this gave them one.
ALTER TABLE order_items ADD COLUMN IF NOT EXISTS id bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX IF NOT EXISTS order_items_id ON order_items (id);

-- How many units of each line were refunded: never more than were bought, never fewer than before.
ALTER TABLE order_items ADD COLUMN refunded_quantity integer NOT NULL DEFAULT 0;
ALTER TABLE order_items ADD CONSTRAINT order_items_refunded_within_quantity CHECK (refunded_quantity >= 0 AND refunded_quantity <= quantity);

-- A line still never changes what was ordered; what happens to it afterwards (its refunded units,
-- and any state another change gives lines) may move. The old guard refused every update (a
-- migration before this one may have replaced it already; its guard, if any, stays beside this one).
DROP TRIGGER IF EXISTS order_items_never_change ON order_items;

CREATE FUNCTION order_items_keep_what_was_ordered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.order_id, NEW.line_no, NEW.id, NEW.product_id, NEW.option_id, NEW.seller_id, NEW.product_name, NEW.option_name,
      NEW.unit_price, NEW.quantity, NEW.amount, NEW.discount_amount, NEW.digital)
     IS DISTINCT FROM
     (OLD.order_id, OLD.line_no, OLD.id, OLD.product_id, OLD.option_id, OLD.seller_id, OLD.product_name, OLD.option_name,
      OLD.unit_price, OLD.quantity, OLD.amount, OLD.discount_amount, OLD.digital) THEN
    RAISE EXCEPTION 'order_items: what was ordered never changes (line % of order %)', OLD.line_no, OLD.order_id
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.refunded_quantity < OLD.refunded_quantity THEN
    RAISE EXCEPTION 'order_items: refunded units never go back (line % of order %)', OLD.line_no, OLD.order_id
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER order_items_keep_what_was_ordered BEFORE UPDATE ON order_items FOR EACH ROW EXECUTE FUNCTION order_items_keep_what_was_ordered();
-- Lines are never deleted (a migration before this one may have said so already, by this name).
DROP TRIGGER IF EXISTS order_items_never_deleted ON order_items;
CREATE TRIGGER order_items_never_deleted BEFORE DELETE ON order_items FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Payments: when they completed (the day their sale counts on, which refunds must not move), and
-- what refunds gave back. A completed payment is PARTIALLY_REFUNDED once refunded in part, and
-- REFUNDED once every unit of its order is.
ALTER TABLE payments ADD COLUMN completed_at timestamptz;
ALTER TABLE payments ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0;
UPDATE payments SET completed_at = updated_at WHERE status = 'COMPLETED';

ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_valid
  CHECK (status IN ('INITIATED', 'VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'GATEWAY_REQUESTED', 'COMPLETED', 'FAILED',
                    'PARTIALLY_REFUNDED', 'REFUNDED'));

-- Refunds: an order may now have several (partial refunds), each with its lines.
DROP INDEX refunds_once_per_order;
CREATE INDEX refunds_by_order ON refunds (order_id, id);

CREATE TABLE refund_items (
  refund_id       bigint NOT NULL REFERENCES refunds (id),
  order_item_id   bigint NOT NULL REFERENCES order_items (id),
  quantity        integer NOT NULL CHECK (quantity >= 1),
  -- What the buyer was credited for these units, and their part of the line's discount: together
  -- the units' price.
  amount          bigint NOT NULL CHECK (amount >= 0),
  discount_amount bigint NOT NULL CHECK (discount_amount >= 0),
  PRIMARY KEY (refund_id, order_item_id)
);

CREATE INDEX refund_items_by_order_item ON refund_items (order_item_id);
CREATE TRIGGER refund_items_never_change BEFORE UPDATE OR DELETE ON refund_items FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Refunds made before this gave back their whole order: their lines, units and payments say so.
-- The lines' guard steps aside for this one write.
INSERT INTO refund_items (refund_id, order_item_id, quantity, amount, discount_amount)
SELECT r.id, i.id, i.quantity, i.amount - i.discount_amount, i.discount_amount
FROM refunds r JOIN order_items i ON i.order_id = r.order_id
WHERE r.status = 'REFUNDED';

ALTER TABLE order_items DISABLE TRIGGER order_items_keep_what_was_ordered;
UPDATE order_items i SET refunded_quantity = i.quantity
WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = i.order_id AND r.status = 'REFUNDED');
ALTER TABLE order_items ENABLE TRIGGER order_items_keep_what_was_ordered;

UPDATE payments p SET status = 'REFUNDED', refunded_amount = r.amount, updated_at = r.created_at
FROM refunds r WHERE r.payment_id = p.id AND r.status = 'REFUNDED' AND p.status = 'COMPLETED';

-- A paid payment knows when it completed; refunds never give back more than it took, and all of
-- it once REFUNDED; an unrefunded one has given nothing back.
ALTER TABLE payments ADD CONSTRAINT payments_completed_iff_paid
  CHECK ((status IN ('COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED')) = (completed_at IS NOT NULL));
ALTER TABLE payments ADD CONSTRAINT payments_refunds_add_up
  CHECK (refunded_amount >= 0 AND refunded_amount <= amount
         AND (status <> 'REFUNDED' OR refunded_amount = amount)
         AND (status IN ('PARTIALLY_REFUNDED', 'REFUNDED') OR refunded_amount = 0));

-- At commit: a refund's amount is what its lines credit and its lines are its order's; each line's
-- refunded units are the units its refunds gave back; a payment's refunded amount is what its
-- refunds credited. Checked whenever one of these is written, so neither side moves alone.
CREATE FUNCTION refunds_check_books() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  item bigint;
  paid bigint;
  problem text;
BEGIN
  IF TG_TABLE_NAME = 'refunds' THEN
    paid := NEW.payment_id;
    IF NEW.amount IS DISTINCT FROM (SELECT COALESCE(sum(amount), 0) FROM refund_items WHERE refund_id = NEW.id) THEN
      problem := format('refund %s credits %s but its lines come to %s', NEW.id, NEW.amount,
                        (SELECT COALESCE(sum(amount), 0) FROM refund_items WHERE refund_id = NEW.id));
    ELSIF EXISTS (SELECT 1 FROM refund_items ri JOIN order_items i ON i.id = ri.order_item_id
                  WHERE ri.refund_id = NEW.id AND i.order_id <> NEW.order_id) THEN
      problem := format('refund %s has lines of another order than %s', NEW.id, NEW.order_id);
    END IF;
  ELSIF TG_TABLE_NAME = 'refund_items' THEN
    item := NEW.order_item_id;
  ELSIF TG_TABLE_NAME = 'order_items' THEN
    item := NEW.id;
  ELSE
    paid := NEW.id;
  END IF;
  IF problem IS NULL AND item IS NOT NULL
     AND (SELECT refunded_quantity FROM order_items WHERE id = item)
         IS DISTINCT FROM (SELECT COALESCE(sum(ri.quantity), 0) FROM refund_items ri JOIN refunds r ON r.id = ri.refund_id
                           WHERE ri.order_item_id = item AND r.status = 'REFUNDED') THEN
    problem := format('order item %s: its refunded units are not what its refunds gave back', item);
  END IF;
  IF problem IS NULL AND paid IS NOT NULL
     AND (SELECT refunded_amount FROM payments WHERE id = paid)
         IS DISTINCT FROM (SELECT COALESCE(sum(amount), 0) FROM refunds WHERE payment_id = paid AND status = 'REFUNDED') THEN
    problem := format('payment %s: its refunded amount is not what its refunds credited', paid);
  END IF;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_books_balance';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER refunds_books_balance AFTER INSERT ON refunds
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refunds_check_books();
CREATE CONSTRAINT TRIGGER refund_items_books_balance AFTER INSERT ON refund_items
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refunds_check_books();
CREATE CONSTRAINT TRIGGER order_items_refunds_balance AFTER UPDATE OF refunded_quantity ON order_items
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.refunded_quantity IS DISTINCT FROM OLD.refunded_quantity)
  EXECUTE FUNCTION refunds_check_books();
CREATE CONSTRAINT TRIGGER payments_refunds_balance AFTER UPDATE OF refunded_amount ON payments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.refunded_amount IS DISTINCT FROM OLD.refunded_amount)
  EXECUTE FUNCTION refunds_check_books();
