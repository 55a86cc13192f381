/**
 * Runs work in one database transaction. A nested call joins the transaction already open,
 * so a use case can be composed into a larger unit (e.g. with an idempotency record).
 */
export interface TransactionManager {
  run<T>(work: () => Promise<T>): Promise<T>;
}
