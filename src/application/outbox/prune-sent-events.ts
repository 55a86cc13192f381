import type { Clock } from '../../domain/shared/clock.js';
import type { OutboxStore } from '../ports/outbox-store.js';

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
