import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import type { TransactionManager } from '../../application/ports/transaction-manager.js';

/**
 * Keeps the open knex transaction in AsyncLocalStorage, so repositories find it without the use
 * cases ever handling a connection.
 */
export class KnexTransactionManager implements TransactionManager {
  private readonly current = new AsyncLocalStorage<Knex.Transaction>();

  constructor(readonly db: Knex) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.getStore()) return work();
    return this.db.transaction((trx) => this.current.run(trx, work));
  }

  /** The open transaction, or the pool when there is none. */
  connection(): Knex {
    return this.current.getStore() ?? this.db;
  }

  inTransaction(): boolean {
    return this.current.getStore() !== undefined;
  }
}
