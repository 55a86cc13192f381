import type { DomainEvent } from '../shared/domain-event.js';
import type { FulfilmentStep, OrderSnapshot } from './order.js';
import type { PaymentSnapshot } from './payment.js';
import type { RefundSnapshot } from './refund.js';

/** Every order event carries the order as it stood just after. */
interface OrderEventBase extends DomainEvent {
  readonly order: OrderSnapshot;
}

/** The order exists: its stock is reserved, its amounts are set. */
export interface OrderPlaced extends OrderEventBase {
  readonly type: 'OrderPlaced';
}

/** The payment went through: the order is CONFIRMED. */
export interface OrderPaid extends OrderEventBase {
  readonly type: 'OrderPaid';
  readonly payment: PaymentSnapshot;
}

/** The payment did not go through: the order FAILED, everything it held was given back. */
export interface OrderPaymentFailed extends OrderEventBase {
  readonly type: 'OrderPaymentFailed';
  readonly payment: PaymentSnapshot;
}

/** Cancelled unpaid (by its buyer, or its reservation ran out), or refunded to the last unit. */
export interface OrderCancelled extends OrderEventBase {
  readonly type: 'OrderCancelled';
  /** Its latest payment, if there was one (a refused attempt, or the refunded payment). */
  readonly payment: PaymentSnapshot | null;
}

/** Some or all of a paid order's units were refunded. */
export interface OrderRefunded extends OrderEventBase {
  readonly type: 'OrderRefunded';
  readonly refund: RefundSnapshot;
}

/** One seller's lines moved one fulfilment step. */
export interface OrderLinesAdvanced extends OrderEventBase {
  readonly type: 'OrderLinesAdvanced';
  readonly sellerId: number;
  readonly step: FulfilmentStep;
}

/** The order's own status moved with its lines (to PREPARING, SHIPPED or DELIVERED). */
export interface OrderAdvanced extends OrderEventBase {
  readonly type: 'OrderAdvanced';
  readonly status: FulfilmentStep;
  readonly payment: PaymentSnapshot | null;
}

/** The buyer confirmed the purchase of a delivered order. */
export interface OrderCompleted extends OrderEventBase {
  readonly type: 'OrderCompleted';
  readonly payment: PaymentSnapshot | null;
}

export type OrderEvent = OrderPlaced | OrderPaid | OrderPaymentFailed | OrderCancelled | OrderRefunded | OrderLinesAdvanced | OrderAdvanced | OrderCompleted;
