-- Hardening of ordering (the outside security review): the unpaid-order cap's count.

-- A user's live unpaid orders, counted under their placing lock on every order placed while the
-- cap (MAX_UNPAID_ORDERS_PER_USER) is on: only live rows are indexed, so the count reads a few
-- entries whatever the user's history, and the earliest expiry (Retry-After) comes with them.
CREATE INDEX orders_unpaid_by_user ON orders (user_id, reservation_expires_at) WHERE status IN ('CREATED', 'PENDING');
