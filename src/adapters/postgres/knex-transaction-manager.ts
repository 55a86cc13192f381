import type { Knex } from 'knex';
import type { TransactionManager } from '../../application/ports/transaction-manager.js';
import { TransactionScope } from '../transaction-scope.js';

interface OpenTransaction {
  trx: Knex.Transaction;
  afterCommit: (() => Promise<void>)[];
  afterRollback: (() => Promise<void>)[];
}

/**
 * Keeps the open knex transaction in AsyncLocalStorage, so repositories find it without the use
 * cases ever handling a connection.
 */
export class KnexTransactionManager implements TransactionManager {
  private readonly current = new TransactionScope<OpenTransaction>(this);

  constructor(readonly db: Knex) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.get()) return work();
    const afterCommit: (() => Promise<void>)[] = [];
    const afterRollback: (() => Promise<void>)[] = [];
    let result: T;
    try {
      result = await this.db.transaction((trx) => this.current.run({ trx, afterCommit, afterRollback }, work));
    } catch (error) {
      for (const effect of afterRollback) await effect();
      throw error;
    }
    for (const effect of afterCommit) await effect();
    return result;
  }

  async afterCommit(effect: () => Promise<void>): Promise<void> {
    const open = this.current.get();
    if (open) open.afterCommit.push(effect);
    else await effect();
  }

  async afterRollback(effect: () => Promise<void>): Promise<void> {
    const open = this.current.get();
    if (open) open.afterRollback.push(effect);
    else await effect();
  }

  /** The open transaction, or the pool when there is none. */
  connection(): Knex {
    return this.current.get()?.trx ?? this.db;
  }

}
