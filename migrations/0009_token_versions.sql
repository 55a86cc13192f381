-- Tokens that can be ended. Every token carries its user's token version (claim `ver`), and every
-- authenticated request compares it with the user's current one. The database bumps the version
-- whenever the role, the password or the status changes, so whatever makes the change (the API,
-- or an operator's hand-written SQL) ends the user's older tokens: at once on the instance that
-- made it through the API, within AUTH_CACHE_TTL_SECONDS everywhere otherwise.
-- A SUSPENDED user cannot log in. Bumping the version by hand (`SET token_version =
-- token_version + 1`) logs a user out everywhere; it never goes back, or ended tokens would live again.

ALTER TABLE users
  ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE' CONSTRAINT users_status_known CHECK (status IN ('ACTIVE', 'SUSPENDED')),
  ADD COLUMN token_version integer NOT NULL DEFAULT 0 CONSTRAINT users_token_version_not_negative CHECK (token_version >= 0);

CREATE FUNCTION users_bump_token_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.role IS DISTINCT FROM OLD.role
     OR NEW.password_hash IS DISTINCT FROM OLD.password_hash
     OR NEW.status IS DISTINCT FROM OLD.status THEN
    -- Whatever the statement wrote into token_version: one more than before, exactly.
    NEW.token_version := OLD.token_version + 1;
  ELSIF NEW.token_version < OLD.token_version THEN
    RAISE EXCEPTION 'users.token_version of user % cannot go back from % to %',
      OLD.id, OLD.token_version, NEW.token_version USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER users_token_version BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION users_bump_token_version();
