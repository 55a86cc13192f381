-- Recovery bookkeeping of payments that wait for the gateway (GATEWAY_REQUESTED, order PENDING):
-- each has a next attempt time (with backoff) and an attempt count, so the recovery job takes the
-- due ones, earliest due first, instead of the oldest 50 PENDING orders for ever; after too many
-- inconclusive attempts one is handed to an operator (OPERATOR_REQUIRED) and left to them.

ALTER TABLE payments
  ADD COLUMN recovery_state           text CHECK (recovery_state IN ('AUTOMATIC', 'OPERATOR_REQUIRED')),
  ADD COLUMN recovery_attempts        integer NOT NULL DEFAULT 0 CHECK (recovery_attempts >= 0),
  ADD COLUMN recovery_next_attempt_at timestamptz,
  ADD COLUMN recovery_last_attempt_at timestamptz;

-- Payments already waiting when this runs are due at once (after PENDING_RECOVERY_AFTER_SECONDS).
UPDATE payments SET recovery_state = 'AUTOMATIC', recovery_next_attempt_at = updated_at WHERE status = 'GATEWAY_REQUESTED';

-- Never lost: a payment waits for the gateway exactly while it is in recovery, automatic or an
-- operator's; and exactly the automatic ones have a next attempt (so the job's list is all of them).
ALTER TABLE payments ADD CONSTRAINT payments_in_recovery_iff_waiting
  CHECK ((status = 'GATEWAY_REQUESTED') = (recovery_state IS NOT NULL));
ALTER TABLE payments ADD CONSTRAINT payments_next_attempt_iff_automatic
  CHECK ((recovery_state IS NOT DISTINCT FROM 'AUTOMATIC') = (recovery_next_attempt_at IS NOT NULL));

-- The recovery job: "due automatic recoveries, earliest due first"; settled payments leave it.
CREATE INDEX payments_recovery_due ON payments (recovery_next_attempt_at, id) WHERE recovery_state = 'AUTOMATIC';
-- The operators' list (by state, newest first) and the awaiting-operator count: only waiting payments.
CREATE INDEX payments_in_recovery ON payments (recovery_state, id DESC) WHERE recovery_state IS NOT NULL;
