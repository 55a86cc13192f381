import type { OutboxStatus, StoredOutboxEvent } from '../ports/outbox-store.js';

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
