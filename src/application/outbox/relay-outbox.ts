import type { Clock } from '../../domain/shared/clock.js';
import { DeliveryRefused, type EventPublisher, type PlatformEvent } from '../ports/event-publisher.js';
import type { Logger } from '../ports/logger.js';
import type { OutboxClaim, OutboxMetrics, OutboxStore, StoredOutboxEvent } from '../ports/outbox-store.js';

export interface RelaySettings {
  /** Delivery tries before an event is ALERTED (OUTBOX_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Wait after the first failed try, doubling with each further one (OUTBOX_RETRY_BASE_MS). */
  retryBaseMs: number;
  /**
   * How long a claim holds: a relay that dies mid-delivery has its events claimed again after it.
   * Far longer than a batch can take (the publisher's timeout times the rounds of a batch).
   */
  leaseMs: number;
  batchSize: number;
  /** Aggregates delivered at once; each aggregate's own events one after another. */
  concurrency: number;
  /** A run claims batch after batch while they come back full, up to this many. */
  maxBatchesPerRun: number;
}

export const DEFAULT_RELAY_SETTINGS: Omit<RelaySettings, 'maxAttempts' | 'retryBaseMs'> = {
  leaseMs: 60_000,
  batchSize: 100,
  concurrency: 16,
  maxBatchesPerRun: 50,
};

/** The longest wait between two tries, however many there were (2^n grows past any sense). */
export const MAX_RETRY_DELAY_MS = 3_600_000;

export interface RelayOutcome {
  claimed: number;
  sent: number;
  failed: number;
  alerted: number;
}

const NONE: RelayOutcome = { claimed: 0, sent: 0, failed: 0, alerted: 0 };

export function platformEventOf(event: StoredOutboxEvent): PlatformEvent {
  return {
    id: event.id,
    type: event.type,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    occurredAt: event.occurredAt.toISOString(),
    payload: event.payload,
  };
}

/** The wait before the next try after `attempts` failed ones: base, 2 x base, 4 x base, ... */
export function retryDelayMs(retryBaseMs: number, attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

const claimOf = (event: StoredOutboxEvent): OutboxClaim => ({ id: event.id, attempts: event.attempts });

/**
 * The outbox relay: claims due events (a short statement of its own, `FOR UPDATE SKIP LOCKED`),
 * delivers them with no transaction open, then marks each SENT, FAILED (with backoff) or ALERTED.
 * Delivery is at least once: a relay that dies between delivering and marking leaves its events
 * PROCESSING, and they go out again when the lease runs out. Several relays at once never claim
 * one event twice while its lease holds.
 */
export class RelayOutbox {
  constructor(
    private readonly store: OutboxStore,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: OutboxMetrics,
    private readonly settings: RelaySettings,
  ) {}

  /** The job: batches until one comes back short (the backlog is done) or the run's cap. */
  async execute(): Promise<RelayOutcome> {
    const total = { ...NONE };
    for (let batch = 0; batch < this.settings.maxBatchesPerRun; batch += 1) {
      const outcome = await this.relayBatch();
      total.claimed += outcome.claimed;
      total.sent += outcome.sent;
      total.failed += outcome.failed;
      total.alerted += outcome.alerted;
      if (outcome.claimed < this.settings.batchSize) break;
    }
    return total;
  }

  async relayBatch(): Promise<RelayOutcome> {
    const now = this.clock.now();
    const claimed = await this.store.claim(now, this.settings.batchSize, new Date(now.getTime() + this.settings.leaseMs));
    if (claimed.length === 0) return { ...NONE };

    const chains = new Map<string, StoredOutboxEvent[]>();
    for (const event of [...claimed].sort((a, b) => a.seq - b.seq)) {
      const key = `${event.aggregateType}:${event.aggregateId}`;
      const chain = chains.get(key);
      if (chain) chain.push(event);
      else chains.set(key, [event]);
    }

    const outcome: RelayOutcome = { ...NONE, claimed: claimed.length };
    const sent: OutboxClaim[] = [];
    const failures: { event: StoredOutboxEvent; error: string }[] = [];
    await eachLimited([...chains.values()], this.settings.concurrency, async (chain) => {
      for (const [index, event] of chain.entries()) {
        try {
          await this.publisher.publish(platformEventOf(event));
          sent.push(claimOf(event));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ event, error: message });
          if (await this.recordFailure(event, message, error instanceof DeliveryRefused)) outcome.alerted += 1;
          else outcome.failed += 1;
          // The aggregate's later events wait for this one: untried, so the try is not counted.
          for (const later of chain.slice(index + 1)) await this.store.release(claimOf(later), this.clock.now());
          return;
        }
      }
    });
    if (sent.length > 0) {
      outcome.sent = await this.store.markSent(sent, this.clock.now());
      this.metrics.delivered(outcome.sent);
    }
    if (failures.length > 0) {
      const [first] = failures;
      this.logger.warn('outbox delivery failed', {
        failed: failures.length,
        delivered: sent.length,
        firstEventId: first?.event.id,
        firstError: first?.error,
      });
    }
    return outcome;
  }

  /** FAILED with backoff, or ALERTED once the tries are used up or the receiver refused it for good; true when ALERTED. */
  private async recordFailure(event: StoredOutboxEvent, error: string, refused: boolean): Promise<boolean> {
    this.metrics.failed(event.type);
    if (refused || event.attempts >= this.settings.maxAttempts) {
      if (await this.store.markFailed(claimOf(event), error, null)) {
        this.metrics.alerted(event.type);
        this.logger.error(refused ? 'outbox event ALERTED: the receiver refused it, an operator must look' : 'outbox event ALERTED: delivery given up, an operator must retry it', {
          eventId: event.id,
          type: event.type,
          aggregateType: event.aggregateType,
          aggregateId: event.aggregateId,
          attempts: event.attempts,
          error,
        });
        return true;
      }
      return false;
    }
    const retryAt = new Date(this.clock.now().getTime() + retryDelayMs(this.settings.retryBaseMs, event.attempts));
    await this.store.markFailed(claimOf(event), error, retryAt);
    return false;
  }
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
