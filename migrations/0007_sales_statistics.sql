-- Sales per product per day (UTC), kept by the payment and refund transactions themselves: the
-- popular-products ranking and the sales statistics read this, never the orders.
-- `day` is the UTC date the payment completed; a refund subtracts from the day of the sale it
-- undoes, so a row holds the net units and gross revenue (before coupons) of that day's sales.

CREATE TABLE product_sales_daily (
  product_id bigint NOT NULL REFERENCES products (id),
  day        date NOT NULL,
  units      bigint NOT NULL DEFAULT 0 CHECK (units >= 0),
  revenue    bigint NOT NULL DEFAULT 0 CHECK (revenue >= 0),
  PRIMARY KEY (product_id, day),
  -- Units and revenue go to zero together: a refund takes back exactly what a sale added.
  CONSTRAINT product_sales_daily_revenue_needs_units CHECK (units > 0 OR revenue = 0)
);

-- The ranking and the statistics read a range of days: an index-only scan of just those days.
CREATE INDEX product_sales_daily_by_day ON product_sales_daily (day) INCLUDE (product_id, units, revenue);

-- Sales made before this migration, as the payments and refunds would have recorded them: on the
-- UTC day each payment completed, refunded orders left out. Without this, refunding an order paid
-- before the upgrade would find no sale to take back.
INSERT INTO product_sales_daily (product_id, day, units, revenue)
SELECT i.product_id, (p.updated_at AT TIME ZONE 'UTC')::date, sum(i.quantity), sum(i.amount)
FROM payments p
JOIN order_items i ON i.order_id = p.order_id
WHERE p.status = 'COMPLETED'
  AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = p.order_id AND r.status <> 'FAILED')
GROUP BY i.product_id, (p.updated_at AT TIME ZONE 'UTC')::date;
