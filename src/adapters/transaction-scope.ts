import { ContextSlot } from './async-context.js';

/**
 * Which transaction a transaction manager has open in the current async context: the manager's
 * own slot in the process's one async context (async-context.ts says why there is only one).
 */
export class TransactionScope<T> extends ContextSlot<T> {
  constructor(owner: object) {
    super(owner);
  }
}
