import type { Page, PageRequest } from '../../domain/shared/page.js';
import type { OutboxEvent } from './outbox.js';

export const OUTBOX_STATUSES = ['PENDING', 'PROCESSING', 'SENT', 'FAILED', 'ALERTED'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** An outbox row with its delivery state. */
export interface StoredOutboxEvent extends OutboxEvent {
  /** UUID: the receiver deduplicates on it. */
  id: string;
  /** The order events were written in; per aggregate, delivery follows it. */
  seq: number;
  status: OutboxStatus;
  /** Delivery tries so far, the one in flight included. */
  attempts: number;
  lastError: string | null;
  /** When a PENDING or FAILED event is due; for a PROCESSING one, when its lease runs out. */
  nextAttemptAt: Date;
  createdAt: Date;
  sentAt: Date | null;
}

/** The events not delivered yet, as a dashboard sees them (README "Metrics and alerts"). */
export interface OutboxBacklog {
  /** How many events are in each state but SENT: the relay's backlog (PENDING, PROCESSING, FAILED) and the ALERTED ones an operator must retry. */
  counts: Record<Exclude<OutboxStatus, 'SENT'>, number>;
  /** When the event of the relay's backlog (PENDING, PROCESSING or FAILED) that occurred first occurred; null when there is none. */
  oldestOccurredAt: Date | null;
}

/** What a relay holds after claiming an event: marks only land while the claim is still its own. */
export interface OutboxClaim {
  id: string;
  attempts: number;
}

/**
 * The relay's and the operators' side of the outbox (the write side is `Outbox`).
 *
 * Claiming is the one place of coordination between relays: an event is claimable when it is
 * PENDING or FAILED and due, or PROCESSING with its lease run out; and only when every earlier
 * event of its aggregate is SENT or claimed in the same call, which keeps each aggregate's
 * events in order across any number of relays. So an ALERTED event holds back the later events
 * of its aggregate until an operator retries it.
 */
export interface OutboxStore {
  /**
   * Takes up to `limit` claimable events, oldest first, skipping rows another relay is claiming
   * right now, and marks them PROCESSING with attempts + 1 and a lease until `leaseUntil`.
   * Commits before it returns: nothing stays locked while events are delivered.
   */
  claim(now: Date, limit: number, leaseUntil: Date): Promise<StoredOutboxEvent[]>;
  /** SENT, for the claims that are still held; answers how many were. */
  markSent(claims: OutboxClaim[], at: Date): Promise<number>;
  /** FAILED (due again at `retryAt`) or ALERTED (`retryAt` null); false when the claim was lost. */
  markFailed(claim: OutboxClaim, error: string, retryAt: Date | null): Promise<boolean>;
  /** Gives back a claimed event that was never tried: attempts - 1, due at `now`. */
  release(claim: OutboxClaim, now: Date): Promise<boolean>;
  /** Newest first. */
  list(query: PageRequest & { status?: OutboxStatus }): Promise<Page<StoredOutboxEvent>>;
  get(id: string): Promise<StoredOutboxEvent | null>;
  /**
   * An operator's retry: PENDING, attempts 0, no error, due at `now`, unless it is PROCESSING
   * (a relay holds it). Null when there is no such event or it is PROCESSING.
   */
  requeue(id: string, now: Date): Promise<StoredOutboxEvent | null>;
  /** Deletes SENT events sent before `before`; answers how many. */
  pruneSent(before: Date): Promise<number>;
  /** The backlog, read without locking anything; costs the size of the backlog, not of the table. */
  backlog(): Promise<OutboxBacklog>;
}

/** What the relay reports, for dashboards and alerts. */
export interface OutboxMetrics {
  delivered(count: number): void;
  failed(type: OutboxEvent['type']): void;
  alerted(type: OutboxEvent['type']): void;
}
