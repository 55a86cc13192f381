/**
 * Something that happened to an aggregate, recorded by the aggregate as it happened, with what a
 * reader needs to know of it (a copy of the aggregate's state just after). Aggregates keep their
 * events until the transaction that saves them takes them (`pullEvents`) and writes the ones the
 * outside world is told of to the outbox, in that same transaction.
 */
export interface DomainEvent {
  readonly type: string;
  readonly occurredAt: Date;
}

/** An aggregate that records events. `pullEvents` hands them over once: a second call answers none. */
export interface RecordsEvents<E extends DomainEvent = DomainEvent> {
  pullEvents(): E[];
}

/** The events an aggregate has recorded and nobody has taken yet. */
export class RecordedEvents<E extends DomainEvent> {
  private pending: E[] = [];

  record(event: E): void {
    this.pending.push(event);
  }

  pull(): E[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }
}
