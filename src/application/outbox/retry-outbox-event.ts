import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import type { Clock } from '../../domain/shared/clock.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { OutboxStore } from '../ports/outbox-store.js';
import type { TransactionManager } from '../ports/transaction-manager.js';
import { outboxEventView, type OutboxEventView } from './outbox-event-view.js';

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
