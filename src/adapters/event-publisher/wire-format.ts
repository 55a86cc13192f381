import { versionedTypeOf } from '../../application/ports/outbox.js';
import type { PlatformEvent } from '../../application/ports/event-publisher.js';

/**
 * How an event is written on the wire. `platform`: the body receivers are written against today
 * (`{id, type, aggregateType, aggregateId, occurredAt, payload}`, API.md). `cloudevents`:
 * CloudEvents 1.0 in structured mode, the envelope brokers, gateways and SDKs understand.
 */
export type WireFormat = 'platform' | 'cloudevents';
export const WIRE_FORMATS: readonly WireFormat[] = ['platform', 'cloudevents'];

export interface EncodedEvent {
  body: string;
  contentType: string;
  /** The CloudEvents type or the event's own: a broker's routing key. */
  routingKey: string;
}


/** `Order` 42 → `orders/42`. */
export function subjectOf(event: PlatformEvent): string {
  return `${event.aggregateType.toLowerCase()}s/${event.aggregateId}`;
}

export function encodeEvent(event: PlatformEvent, format: WireFormat, source: string): EncodedEvent {
  if (format === 'platform') return { body: JSON.stringify(event), contentType: 'application/json', routingKey: versionedTypeOf(event.type) };
  const type = versionedTypeOf(event.type);
  const cloudEvent = {
    specversion: '1.0',
    // The outbox id: the same on every delivery of the event, what receivers deduplicate on.
    id: event.id,
    source,
    type,
    subject: subjectOf(event),
    time: event.occurredAt,
    datacontenttype: 'application/json',
    data: event.payload,
  };
  return { body: JSON.stringify(cloudEvent), contentType: 'application/cloudevents+json', routingKey: type };
}
