-- The recovery job now takes pending payments by their own next-attempt time
-- (payments_recovery_due, 0011); nothing reads PENDING orders by updated_at any more, so the
-- index only cost a write on every order that went PENDING.
DROP INDEX IF EXISTS orders_pending_since;
