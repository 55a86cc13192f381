import type { RecordsEvents } from '../../domain/shared/domain-event.js';
import type { Outbox } from '../ports/outbox.js';
import { integrationEventsOf, type ShopEvent } from './integration-events.js';

/**
 * The one place domain events leave the service: inside the transaction that saved the
 * aggregates, it takes what they recorded and writes the integration events they become to the
 * outbox, in the order the aggregates are handed over and each recorded them (the relay delivers
 * per aggregate in that order). Use cases hand it the aggregates they changed; none builds an event.
 */
export class DomainEventOutbox {
  constructor(private readonly outbox: Outbox) {}

  async writeEventsOf(...aggregates: readonly RecordsEvents<ShopEvent>[]): Promise<void> {
    const integration = aggregates.flatMap((a) => a.pullEvents()).flatMap(integrationEventsOf);
    if (integration.length > 0) await this.outbox.add(...integration);
  }
}
