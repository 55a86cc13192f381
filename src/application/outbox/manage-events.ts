import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import { type Page, type PageRequest } from '../../domain/shared/page.js';
import type { Clock } from '../../domain/shared/clock.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { OutboxStatus, OutboxStore, StoredOutboxEvent } from '../ports/outbox-store.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

/** An outbox event as API.md shows it to operators. */
export interface OutboxEventView {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: number;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export function outboxEventView(event: StoredOutboxEvent): OutboxEventView {
  return {
    id: event.id,
    type: event.type,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    status: event.status,
    attempts: event.attempts,
    lastError: event.lastError,
    createdAt: event.createdAt.toISOString(),
    sentAt: event.sentAt?.toISOString() ?? null,
  };
}

/** ADMIN: the outbox, newest first, optionally of one status. */
export class ListOutboxEvents {
  constructor(private readonly store: OutboxStore) {}

  async execute(actor: Actor, query: PageRequest & { status?: OutboxStatus }): Promise<Page<OutboxEventView>> {
    assertRole(actor, 'ADMIN');
    const page = await this.store.list(query);
    return { ...page, items: page.items.map(outboxEventView) };
  }
}

/**
 * ADMIN: delivers an event again from scratch (PENDING, attempts 0). Meant for ALERTED events,
 * allowed for any but PROCESSING (a relay holds that one right now). Replaying a SENT event sends
 * it once more, with the same id, after whatever its aggregate sent since.
 */
export class RetryOutboxEvent {
  constructor(
    private readonly store: OutboxStore,
    private readonly transactions: TransactionManager,
    private readonly clock: Clock,
  ) {}

  async execute(actor: Actor, eventId: string): Promise<OutboxEventView> {
    assertRole(actor, 'ADMIN');
    return this.transactions.run(async () => {
      const requeued = await this.store.requeue(eventId, this.clock.now());
      if (requeued) return outboxEventView(requeued);
      const found = await this.store.get(eventId);
      if (!found) throw new NotFound('Outbox event', eventId);
      throw new InvalidState(`Outbox event ${eventId} is being delivered right now (PROCESSING); retry it once that ends`);
    });
  }
}

/** The retention job: SENT events older than the retention go; ALERTED ones stay for an operator. */
export class PruneSentEvents {
  constructor(
    private readonly store: OutboxStore,
    private readonly clock: Clock,
    private readonly retentionDays: number,
  ) {}

  async execute(): Promise<number> {
    return this.store.pruneSent(new Date(this.clock.now().getTime() - this.retentionDays * 86_400_000));
  }
}
