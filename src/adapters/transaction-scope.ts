import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which transaction each transaction manager has open in the current async context. One
 * AsyncLocalStorage for the whole process, not one per manager: Node 20 runs every live
 * AsyncLocalStorage on each promise it creates, so with one per manager every await in the
 * process got slower with each manager built (test suites build hundreds; a concurrency test late
 * in the suite ran eight times slower, most of it in async_hooks and the garbage collector).
 */
const openTransactions = new AsyncLocalStorage<ReadonlyMap<object, unknown>>();

/** One manager's slot in the shared storage. */
export class TransactionScope<T> {
  constructor(private readonly owner: object) {}

  /** The transaction this manager has open here, if any. */
  get(): T | undefined {
    return openTransactions.getStore()?.get(this.owner) as T | undefined;
  }

  /** Runs `work` with `open` as this manager's transaction; other managers' stay as they are. */
  run<R>(open: T, work: () => R): R {
    const frame = new Map(openTransactions.getStore());
    frame.set(this.owner, open);
    return openTransactions.run(frame, work);
  }

  /** Runs `work` outside this manager's transaction (other managers' stay as they are). */
  exit<R>(work: () => R): R {
    const frame = new Map(openTransactions.getStore());
    frame.delete(this.owner);
    return openTransactions.run(frame, work);
  }
}
