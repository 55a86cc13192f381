import type { TransactionManager } from '../../application/ports/transaction-manager.js';
import { TransactionScope } from '../transaction-scope.js';

type Undo = () => void;

interface OpenTransaction {
  undo: Undo[];
  afterCommit: (() => Promise<void>)[];
  afterRollback: (() => Promise<void>)[];
}

/**
 * Transactions over in-memory tables: one at a time (as if every transaction locked everything
 * it touched), with an undo log replayed when the work throws.
 */
export class MemoryTransactionManager implements TransactionManager {
  private readonly current = new TransactionScope<OpenTransaction>(this);
  private tail: Promise<void> = Promise.resolve();

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.get()) return work();
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => (release = resolve));
    await previous;
    const open: OpenTransaction = { undo: [], afterCommit: [], afterRollback: [] };
    let result: T;
    try {
      result = await this.current.run(open, work);
    } catch (error) {
      for (const step of open.undo.reverse()) step();
      release();
      for (const effect of open.afterRollback) await effect();
      throw error;
    }
    release();
    for (const effect of open.afterCommit) await effect();
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

  /** Runs writes that commit on their own, whatever transaction the caller has open. */
  outside<T>(write: () => T): T {
    return this.current.exit(write);
  }

  /** Remembers how to take back a write, when the write happens inside a transaction. */
  recordUndo(step: Undo): void {
    this.current.get()?.undo.push(step);
  }
}

/** A map whose writes are rolled back with the transaction they were made in. Rows are copied in and out. */
export class MemoryTable<K, V> {
  private readonly rows = new Map<K, V>();

  constructor(private readonly transactions: MemoryTransactionManager) {}

  get(key: K): V | undefined {
    const row = this.rows.get(key);
    return row === undefined ? undefined : structuredClone(row);
  }

  has(key: K): boolean {
    return this.rows.has(key);
  }

  set(key: K, value: V): void {
    const had = this.rows.has(key);
    const old = this.rows.get(key);
    this.rows.set(key, structuredClone(value));
    this.transactions.recordUndo(() => (had ? this.rows.set(key, old as V) : this.rows.delete(key)));
  }

  delete(key: K): boolean {
    if (!this.rows.has(key)) return false;
    const old = this.rows.get(key) as V;
    this.rows.delete(key);
    this.transactions.recordUndo(() => this.rows.set(key, old));
    return true;
  }

  values(): V[] {
    return [...this.rows.values()].map((row) => structuredClone(row));
  }

  entries(): [K, V][] {
    return [...this.rows.entries()].map(([k, v]) => [k, structuredClone(v)]);
  }
}

/** Like a database sequence: never rolled back, so ids are never reused. */
export class MemorySequence {
  private last = 0;
  next(): number {
    this.last += 1;
    return this.last;
  }
}
