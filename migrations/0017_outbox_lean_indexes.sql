-- The outbox is the busiest and the biggest table: every order and payment writes a row, the relay
-- updates it twice (claimed, sent), and SENT rows stay for OUTBOX_RETENTION_DAYS. A status change
-- is never a HOT update (status is in index predicates), so each write adds an entry to every
-- index whose predicate the new row meets. Two full indexes were paid for on every write and
-- used by nothing the service runs:
--   outbox_events_by_aggregate (aggregate_type, aggregate_id, seq): the relay's per-aggregate
--     order check reads outbox_events_unsent_by_aggregate (0006), which holds only unsent rows;
--   outbox_events_by_status (status, seq): GET /admin/events?status=... and the backlog gauge ask
--     for unsent statuses; SENT rows, nearly all of the table, are never looked up by status.
-- The second is kept for the unsent rows only: a few entries instead of one per event kept.
DROP INDEX outbox_events_by_aggregate;
DROP INDEX outbox_events_by_status;
CREATE INDEX outbox_events_unsent_by_status ON outbox_events (status, seq) WHERE status <> 'SENT';
