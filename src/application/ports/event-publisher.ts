import type { EventType, OutboxEvent } from './outbox.js';

/** An event as the data platform receives it (API.md): `id` is also the `Idempotency-Key`. */
export interface PlatformEvent {
  id: string;
  type: EventType;
  aggregateType: OutboxEvent['aggregateType'];
  aggregateId: number;
  /** ISO 8601 UTC. */
  occurredAt: string;
  payload: unknown;
}

/**
 * The data platform. `publish` resolves once the event is delivered and throws otherwise; the
 * message of what it throws is stored with the event and shown to operators, so it must never
 * carry a secret (credentials in the URL, tokens).
 */
export interface EventPublisher {
  publish(event: PlatformEvent): Promise<void>;
}

/**
 * The receiver refused the event for good (an HTTP 4xx other than 408 and 429, say): trying
 * again sends the same refused request, so the relay hands the event to an operator at once
 * (ALERTED) instead of spending its tries. Mature webhook platforms learned to stop there.
 */
export class DeliveryRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryRefused';
  }
}
