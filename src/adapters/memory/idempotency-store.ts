import type {
  IdempotencyClaim,
  IdempotencyScope,
  IdempotencyStore,
  IdempotencyTimings,
  StoredResponse,
} from '../../application/ports/idempotency-store.js';
import { MemoryTable, type MemoryTransactionManager } from './memory-transaction-manager.js';

interface KeyRecord {
  fingerprint: string;
  state: 'IN_PROGRESS' | 'COMPLETED';
  response: StoredResponse | null;
  lockedUntil: number;
  expiresAt: number;
}

const keyOf = (scope: IdempotencyScope) => `${scope.userId}\u0000${scope.key}`;

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records: MemoryTable<string, KeyRecord>;

  constructor(
    private readonly transactions: MemoryTransactionManager,
    private readonly timings: IdempotencyTimings,
  ) {
    this.records = new MemoryTable(transactions);
  }

  /** Claims commit on their own (the port's contract), never with the caller's transaction. */
  async claim(scope: IdempotencyScope, fingerprint: string, now: Date): Promise<IdempotencyClaim> {
    return this.transactions.outside(() => this.claimNow(scope, fingerprint, now));
  }

  private claimNow(scope: IdempotencyScope, fingerprint: string, now: Date): IdempotencyClaim {
    const at = now.getTime();
    const existing = this.records.get(keyOf(scope));
    const reclaimable =
      !existing || existing.expiresAt < at || (existing.state === 'IN_PROGRESS' && existing.lockedUntil < at);
    if (reclaimable) {
      this.records.set(keyOf(scope), {
        fingerprint,
        state: 'IN_PROGRESS',
        response: null,
        lockedUntil: at + this.timings.leaseMs,
        expiresAt: at + this.timings.retentionMs,
      });
      return { kind: 'claimed' };
    }
    if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (existing.state === 'IN_PROGRESS' || !existing.response) return { kind: 'in-progress' };
    return { kind: 'replay', response: existing.response };
  }

  async complete(scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    const existing = this.records.get(keyOf(scope));
    if (!existing) return;
    this.records.set(keyOf(scope), { ...existing, state: 'COMPLETED', response });
  }

  async release(scope: IdempotencyScope): Promise<void> {
    this.transactions.outside(() => {
      if (this.records.get(keyOf(scope))?.state === 'IN_PROGRESS') this.records.delete(keyOf(scope));
    });
  }

  async purgeExpired(now: Date): Promise<number> {
    return this.transactions.outside(() => {
      let purged = 0;
      for (const [key, record] of this.records.entries()) {
        if (record.expiresAt < now.getTime() && this.records.delete(key)) purged += 1;
      }
      return purged;
    });
  }
}
