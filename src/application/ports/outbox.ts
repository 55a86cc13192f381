export const EVENT_TYPES = [
  'OrderCreated',
  'PaymentCompleted',
  'OrderCancelled',
  'OrderFailed',
  'RefundCompleted',
  'FulfilmentAdvanced',
  'OrderPreparing',
  'OrderShipped',
  'OrderDelivered',
  'OrderCompleted',
  'CouponCreated',
  'CouponIssued',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An integration event for the data platform; `payload` is in its versioned shape (integration-events.ts, docs/events). */
export interface OutboxEvent {
  type: EventType;
  aggregateType: 'Order' | 'Coupon';
  aggregateId: number;
  occurredAt: Date;
  payload: unknown;
}

/** The transactional outbox: events are written in the transaction of the change they record. */
export interface Outbox {
  add(...events: OutboxEvent[]): Promise<void>;
}

/** The payload version each event type is written in today (docs/events/<type>.v<n>.schema.json). */
export const PAYLOAD_VERSION: Record<EventType, number> = {
  OrderCreated: 1,
  PaymentCompleted: 1,
  OrderCancelled: 1,
  OrderFailed: 1,
  RefundCompleted: 1,
  FulfilmentAdvanced: 1,
  OrderPreparing: 1,
  OrderShipped: 1,
  OrderDelivered: 1,
  OrderCompleted: 1,
  CouponCreated: 1,
  CouponIssued: 1,
};

/** `OrderCreated` → `order.created.v1`: the versioned, dotted name CloudEvents and brokers route on. */
export function versionedTypeOf(type: EventType): string {
  const words = type.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
  return `${words.join('.')}.v${PAYLOAD_VERSION[type]}`;
}
