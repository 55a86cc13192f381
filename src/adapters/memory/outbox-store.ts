import type { OutboxBacklog, OutboxClaim, OutboxStatus, OutboxStore, StoredOutboxEvent } from '../../application/ports/outbox-store.js';
import { offsetOf, type Page, type PageRequest, pageOf } from '../../domain/shared/page.js';
import type { MemoryOutbox } from './ordering.js';

const CLAIMABLE: ReadonlySet<OutboxStatus> = new Set(['PENDING', 'FAILED', 'PROCESSING']);
const aggregateOf = (e: StoredOutboxEvent) => `${e.aggregateType}:${e.aggregateId}`;

/**
 * The relay's side of MemoryOutbox, over the same rows. Every call runs as a memory transaction:
 * those run one at a time, so a claim never sees the events of a transaction still open (which
 * may yet roll back), and two claims never interleave.
 */
export class MemoryOutboxStore implements OutboxStore {
  constructor(private readonly outbox: MemoryOutbox) {}

  private run<T>(work: () => T): Promise<T> {
    return this.outbox.transactions.run(async () => work());
  }

  private find(id: string): StoredOutboxEvent | undefined {
    return this.outbox.rows.values().find((e) => e.id === id);
  }

  private put(event: StoredOutboxEvent): StoredOutboxEvent {
    this.outbox.rows.set(event.seq, event);
    return { ...event };
  }

  /** Applies `change` when the claim still holds (PROCESSING with the attempts claimed). */
  private whileClaimed(claim: OutboxClaim, change: (event: StoredOutboxEvent) => StoredOutboxEvent): boolean {
    const event = this.find(claim.id);
    if (!event || event.status !== 'PROCESSING' || event.attempts !== claim.attempts) return false;
    this.put(change(event));
    return true;
  }

  claim(now: Date, limit: number, leaseUntil: Date): Promise<StoredOutboxEvent[]> {
    return this.run(() => {
      const rows = this.outbox.rows.values().sort((a, b) => a.seq - b.seq);
      const candidates = rows.filter((e) => CLAIMABLE.has(e.status) && e.nextAttemptAt <= now).slice(0, limit);
      const taken = new Set(candidates.map((e) => e.id));
      // Per aggregate, the first unsent event that is not a candidate: nothing after it may go.
      const blockedFrom = new Map<string, number>();
      for (const e of rows) {
        if (e.status === 'SENT' || taken.has(e.id) || blockedFrom.has(aggregateOf(e))) continue;
        blockedFrom.set(aggregateOf(e), e.seq);
      }
      return candidates
        .filter((e) => e.seq < (blockedFrom.get(aggregateOf(e)) ?? Infinity))
        .map((e) => this.put({ ...e, status: 'PROCESSING', attempts: e.attempts + 1, nextAttemptAt: leaseUntil }));
    });
  }

  markSent(claims: OutboxClaim[], at: Date): Promise<number> {
    return this.run(() => claims.filter((claim) => this.whileClaimed(claim, (e) => ({ ...e, status: 'SENT', sentAt: at }))).length);
  }

  markFailed(claim: OutboxClaim, error: string, retryAt: Date | null): Promise<boolean> {
    return this.run(() =>
      this.whileClaimed(claim, (e) => ({
        ...e,
        status: retryAt ? 'FAILED' : 'ALERTED',
        lastError: error,
        nextAttemptAt: retryAt ?? e.nextAttemptAt,
      })),
    );
  }

  release(claim: OutboxClaim, now: Date): Promise<boolean> {
    return this.run(() =>
      this.whileClaimed(claim, (e) => ({ ...e, status: e.attempts === 1 ? 'PENDING' : 'FAILED', attempts: e.attempts - 1, nextAttemptAt: now })),
    );
  }

  list(query: PageRequest & { status?: OutboxStatus }): Promise<Page<StoredOutboxEvent>> {
    return this.run(() => {
      const all = this.outbox.rows
        .values()
        .filter((e) => query.status === undefined || e.status === query.status)
        .sort((a, b) => b.seq - a.seq);
      const start = offsetOf(query);
      return pageOf(all.slice(start, start + query.size), query, all.length);
    });
  }

  get(id: string): Promise<StoredOutboxEvent | null> {
    return this.run(() => this.find(id) ?? null);
  }

  requeue(id: string, now: Date): Promise<StoredOutboxEvent | null> {
    return this.run(() => {
      const event = this.find(id);
      if (!event || event.status === 'PROCESSING') return null;
      return this.put({ ...event, status: 'PENDING', attempts: 0, lastError: null, nextAttemptAt: now, sentAt: null });
    });
  }

  pruneSent(before: Date): Promise<number> {
    return this.run(() => {
      const old = this.outbox.rows.values().filter((e) => e.status === 'SENT' && e.sentAt !== null && e.sentAt < before);
      for (const e of old) this.outbox.rows.delete(e.seq);
      return old.length;
    });
  }

  backlog(): Promise<OutboxBacklog> {
    return this.run(() => {
      const counts = { PENDING: 0, PROCESSING: 0, FAILED: 0, ALERTED: 0 };
      let oldest: Date | null = null;
      for (const e of this.outbox.rows.values()) {
        if (e.status === 'SENT') continue;
        counts[e.status] += 1;
        if (CLAIMABLE.has(e.status) && (oldest === null || e.occurredAt < oldest)) oldest = e.occurredAt;
      }
      return { counts, oldestOccurredAt: oldest ? new Date(oldest) : null };
    });
  }
}
