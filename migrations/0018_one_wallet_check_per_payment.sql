-- "At commit, a wallet's balance is its latest ledger entry's balance_after" (0001) is checked by
-- two deferred triggers calling one function: one queued by the wallet's row (wallets_match_ledger),
-- one by each ledger entry (wallet_ledger_matches_wallet). Every change of balance writes both
-- rows, so every payment, charge and refund ran the same two-lookup check twice at COMMIT: with the
-- chain check, five lookups per payment where three say the same.
--
-- The ledger entry's check now stands down when this transaction wrote the wallet's row (its xmin
-- is this transaction's id) and the wallet holds this entry's balance: then the wallet's own
-- deferred check runs at the same COMMIT and compares the very same pair, after every statement
-- of the transaction. It still checks an entry whose wallet this transaction did not write, the
-- one case the wallet's trigger cannot see. A wallet written in a savepoint carries the
-- subtransaction's id, not this one, so it is checked in full, as is one whose write was rolled
-- back to a savepoint (its visible row is the older one). The balance comparison makes standing
-- down exact even if a wallet untouched for 2^32 transactions kept a 32-bit xmin that happens to
-- equal this transaction's id: an entry the wallet does not hold is checked in full (amounts are
-- never 0, so an entry without its balance change never matches).
CREATE FUNCTION wallet_ledger_check_matches_wallet() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  stored bigint;
  written_here boolean;
  latest bigint;
BEGIN
  SELECT balance, xmin = pg_current_xact_id()::xid INTO stored, written_here FROM wallets WHERE user_id = NEW.user_id;
  IF written_here AND stored = NEW.balance_after THEN
    RETURN NULL;
  END IF;
  SELECT balance_after INTO latest FROM wallet_ledger
    WHERE user_id = NEW.user_id ORDER BY id DESC LIMIT 1;
  IF stored IS DISTINCT FROM COALESCE(latest, 0) THEN
    RAISE EXCEPTION 'wallet % balance % does not match its ledger (%)',
      NEW.user_id, stored, COALESCE(latest, 0) USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER wallet_ledger_matches_wallet ON wallet_ledger;
CREATE CONSTRAINT TRIGGER wallet_ledger_matches_wallet AFTER INSERT ON wallet_ledger
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallet_ledger_check_matches_wallet();
