-- A guarded UPDATE that matches no row is not an error to PostgreSQL: the statement succeeds,
-- changes nothing, and the transaction may still commit. The service checks the count it gets
-- back, but a write it pipelines (sends without waiting for, with COMMIT right behind it) is
-- answered only once COMMIT has run. Such statements end in `SELECT guard_matched(n, what)`,
-- which raises when the guard matched nothing, so the transaction is aborted and the COMMIT
-- behind it rolls back instead of committing the other writes.
CREATE FUNCTION guard_matched(matched bigint, what text) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  IF matched = 0 THEN
    RAISE EXCEPTION '%', what USING ERRCODE = 'no_data_found';
  END IF;
  RETURN matched;
END
$$;
