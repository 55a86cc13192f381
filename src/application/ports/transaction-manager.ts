/**
 * Runs work in one database transaction. A nested call joins the transaction already open,
 * so a use case can be composed into a larger unit (e.g. with an idempotency record).
 */
export interface TransactionManager {
  run<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs a side effect (cache invalidation, publishing) once the outermost transaction has
   * committed, and not at all if it rolls back; at once when no transaction is open. Whoever runs
   * the outermost transaction gets control back only after its effects have run.
   */
  afterCommit(effect: () => Promise<void>): Promise<void>;
  /**
   * Runs an effect once the outermost transaction has rolled back (at once when none is open):
   * for records that must survive the failure they describe, such as a refused payment.
   */
  afterRollback(effect: () => Promise<void>): Promise<void>;
}
