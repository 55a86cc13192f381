-- The outbox relay: indexes for claiming, per-aggregate ordering and pruning, and the rule that
-- a SENT event, and only a SENT one, has a sent_at.

-- Claiming scans the events still to deliver in seq order; PROCESSING ones come back when their
-- lease runs out, so they are in the index too (0004's index left them out).
DROP INDEX outbox_events_due;
CREATE INDEX outbox_events_claimable ON outbox_events (seq) WHERE status IN ('PENDING', 'FAILED', 'PROCESSING');

-- "Is an earlier event of this aggregate not yet SENT?" looks only at unsent rows, however many
-- events an aggregate (a coupon with thousands of issues) has sent already.
CREATE INDEX outbox_events_unsent_by_aggregate ON outbox_events (aggregate_type, aggregate_id, seq) WHERE status <> 'SENT';

-- The retention job deletes old SENT events.
CREATE INDEX outbox_events_sent_at ON outbox_events (sent_at) WHERE status = 'SENT';

ALTER TABLE outbox_events ADD CONSTRAINT outbox_events_sent_at_iff_sent CHECK ((status = 'SENT') = (sent_at IS NOT NULL));
