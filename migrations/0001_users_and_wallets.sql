-- Accounts (single-table inheritance over the role) and their wallets with an insert-only ledger.
-- Statements end with ";" at the end of a line; function bodies are $$-quoted.

CREATE TABLE users (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role            text NOT NULL CHECK (role IN ('BUYER', 'SELLER', 'ADMIN')),
  password_hash   text NOT NULL,
  introduction    text,
  business_number text,
  admin_code      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_seller_needs_business_number CHECK (role <> 'SELLER' OR business_number IS NOT NULL),
  CONSTRAINT users_admin_needs_admin_code CHECK (role <> 'ADMIN' OR admin_code IS NOT NULL)
);

-- E-mail is unique whatever its case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE wallets (
  user_id    bigint PRIMARY KEY REFERENCES users (id),
  balance    bigint NOT NULL CHECK (balance >= 0),
  version    integer NOT NULL DEFAULT 0 CHECK (version >= 0),
  updated_at timestamptz NOT NULL
);

CREATE TABLE wallet_ledger (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES wallets (user_id),
  type          text NOT NULL CHECK (type IN ('CHARGE', 'PAYMENT', 'REFUND', 'ADJUSTMENT')),
  amount        bigint NOT NULL CHECK (amount <> 0),
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  order_id      bigint,
  actor_id      bigint REFERENCES users (id),
  reason        text,
  created_at    timestamptz NOT NULL,
  CONSTRAINT wallet_ledger_sign_matches_type CHECK (
    (type IN ('CHARGE', 'REFUND') AND amount > 0)
    OR (type = 'PAYMENT' AND amount < 0)
    OR type = 'ADJUSTMENT'
  )
);

CREATE INDEX wallet_ledger_user_newest ON wallet_ledger (user_id, id DESC);

-- The ledger is the audit trail of every won: rows are never changed or removed.
CREATE FUNCTION wallet_ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'wallet_ledger is insert-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER wallet_ledger_insert_only BEFORE UPDATE OR DELETE ON wallet_ledger
  FOR EACH ROW EXECUTE FUNCTION wallet_ledger_forbid_change();

CREATE TRIGGER wallet_ledger_no_truncate BEFORE TRUNCATE ON wallet_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION wallet_ledger_forbid_change();

-- Each entry continues the chain: its balance_after is the previous one's plus its amount.
CREATE FUNCTION wallet_ledger_check_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  previous bigint;
BEGIN
  SELECT balance_after INTO previous FROM wallet_ledger
    WHERE user_id = NEW.user_id ORDER BY id DESC LIMIT 1;
  IF COALESCE(previous, 0) + NEW.amount <> NEW.balance_after THEN
    RAISE EXCEPTION 'ledger entry for user % breaks the chain: % + % <> %',
      NEW.user_id, COALESCE(previous, 0), NEW.amount, NEW.balance_after USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER wallet_ledger_chain BEFORE INSERT ON wallet_ledger
  FOR EACH ROW EXECUTE FUNCTION wallet_ledger_check_chain();

-- At commit, a wallet's balance is its latest ledger entry's balance_after (0 with no entry).
-- With the chain above this means: the balance always equals the sum of the ledger.
CREATE FUNCTION wallets_check_matches_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  stored bigint;
  latest bigint;
BEGIN
  SELECT balance INTO stored FROM wallets WHERE user_id = NEW.user_id;
  SELECT balance_after INTO latest FROM wallet_ledger
    WHERE user_id = NEW.user_id ORDER BY id DESC LIMIT 1;
  IF stored IS DISTINCT FROM COALESCE(latest, 0) THEN
    RAISE EXCEPTION 'wallet % balance % does not match its ledger (%)',
      NEW.user_id, stored, COALESCE(latest, 0) USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER wallets_match_ledger AFTER INSERT OR UPDATE ON wallets
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallets_check_matches_ledger();

CREATE CONSTRAINT TRIGGER wallet_ledger_matches_wallet AFTER INSERT ON wallet_ledger
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallets_check_matches_ledger();
