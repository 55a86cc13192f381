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
