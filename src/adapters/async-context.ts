import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The process's one AsyncLocalStorage: every value carried through an async context (each
 * transaction manager's open transaction, the request id) is a slot in it. Node 20 runs every
 * live AsyncLocalStorage on each promise it creates, about 0.1 µs a storage a promise: with one
 * per transaction manager, every await got slower with each manager built (test suites build
 * hundreds; a concurrency test late in the suite ran eight times slower), and a second storage for
 * the request id alone cost every request a few percent of its CPU.
 */
const frames = new AsyncLocalStorage<ReadonlyMap<object, unknown>>();

/** One value carried through async contexts, kept apart from every other slot's. */
export class ContextSlot<T> {
  /** `key`: what tells this slot from the others (a transaction manager uses itself). */
  constructor(private readonly key: object = {}) {}

  /** The value set for this slot here, if any. */
  get(): T | undefined {
    return frames.getStore()?.get(this.key) as T | undefined;
  }

  /** Runs `work` with `value` in this slot; the other slots stay as they are. */
  run<R>(value: T, work: () => R): R {
    const frame = new Map(frames.getStore());
    frame.set(this.key, value);
    return frames.run(frame, work);
  }

  /** Runs `work` with this slot empty (the other slots stay as they are). */
  exit<R>(work: () => R): R {
    const frame = new Map(frames.getStore());
    frame.delete(this.key);
    return frames.run(frame, work);
  }
}
