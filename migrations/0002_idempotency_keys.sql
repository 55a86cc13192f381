-- Idempotency-Key records, scoped to the user who sent the key.
CREATE TABLE idempotency_keys (
  user_id         bigint NOT NULL,
  key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  fingerprint     text NOT NULL,
  state           text NOT NULL CHECK (state IN ('IN_PROGRESS', 'COMPLETED')),
  response_status integer,
  response_body   jsonb,
  -- A first request that died without finishing gives up its claim after this.
  locked_until    timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (user_id, key),
  CONSTRAINT idempotency_keys_completed_has_response CHECK (state <> 'COMPLETED' OR response_status IS NOT NULL)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
