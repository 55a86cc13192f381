import type { PaymentRepository } from '../ordering/published.js';
import type { Clock } from '../../domain/shared/clock.js';
import type { OutboxBacklog, OutboxStore } from '../ports/outbox-store.js';

/** What the stored data says now, for the gauges on /metrics (the whole database, whichever instance reads it). */
export interface BusinessState {
  /** Payments waiting for the gateway's answer (GATEWAY_REQUESTED, order PENDING), in automatic recovery or handed to an operator. */
  paymentsWaitingForGateway: number;
  outbox: OutboxBacklog['counts'];
  /** Seconds since the oldest event the relay has yet to deliver occurred (0 when none waits). */
  outboxOldestPendingAgeSeconds: number;
}

/**
 * Reads the state the gauges show: a few counts over partial indexes, no lock, one query at a
 * time (an embedded database has one connection). The caller decides how often (the Prometheus
 * adapter caches it, so a scrape storm reads it once per cache period).
 */
export class ReadBusinessState {
  constructor(
    private readonly payments: PaymentRepository,
    private readonly outbox: OutboxStore,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<BusinessState> {
    const waiting = await this.payments.listInRecovery({ page: 1, size: 1 });
    const backlog = await this.outbox.backlog();
    const oldest = backlog.oldestOccurredAt;
    return {
      paymentsWaitingForGateway: waiting.totalItems,
      outbox: backlog.counts,
      outboxOldestPendingAgeSeconds: oldest ? Math.max(0, (this.clock.now().getTime() - oldest.getTime()) / 1000) : 0,
    };
  }
}
