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

/** A business event for the data platform; `payload` is the resource as the API shows it. */
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
