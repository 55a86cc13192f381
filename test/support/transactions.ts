import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';

/**
 * Whether the caller runs inside a transaction, asked through the port alone: an after-commit
 * effect runs at once only when none is open (both adapters do so), so this works on memory and
 * PostgreSQL alike. Inside one it leaves a no-op effect behind, which is harmless.
 */
export async function inTransaction(transactions: TransactionManager): Promise<boolean> {
  let ranAtOnce = false;
  await transactions.afterCommit(async () => {
    ranAtOnce = true;
  });
  return !ranAtOnce;
}
