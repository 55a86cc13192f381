import type { OrderEvent } from '../../domain/ordering/order-events.js';
import { type FulfilmentStep, LINE_STATUSES, type LineStatus, type OrderLine, type OrderSnapshot } from '../../domain/ordering/order.js';
import type { PaymentSnapshot } from '../../domain/ordering/payment.js';
import type { RefundSnapshot } from '../../domain/ordering/refund.js';
import type { EventType, OutboxEvent } from '../ports/outbox.js';
import { fieldsOf } from '../shared/fields.js';

export type { OrderEvent };

/**
 * What the data platform is told of orders, and in which shape. The payloads are a contract of
 * their own (docs/events/<type>.v<n>.schema.json, frozen), written here from the events'
 * snapshots and from nothing else, so a change to an API view never changes what a receiver
 * gets. A new or renamed field is a new version beside the old, never an edit of a v1 list.
 */
export function orderIntegrationEvents(event: OrderEvent): OutboxEvent[] {
  switch (event.type) {
    case 'OrderPlaced':
      return [of('OrderCreated', event, orderV1(event.order, null))];
    case 'OrderPaid':
      return [of('PaymentCompleted', event, orderV1(event.order, event.payment))];
    case 'OrderPaymentFailed':
      return [of('OrderFailed', event, orderV1(event.order, event.payment))];
    case 'OrderCancelled':
      return [of('OrderCancelled', event, orderV1(event.order, event.payment))];
    case 'OrderRefunded':
      return [of('RefundCompleted', event, refundV1(event.refund))];
    case 'OrderLinesAdvanced':
      return [of('FulfilmentAdvanced', event, sellerOrderV1(event.order, event.sellerId))];
    case 'OrderAdvanced':
      return [of(STATUS_EVENT[event.status], event, orderV1(event.order, event.payment))];
    case 'OrderCompleted':
      return [of('OrderCompleted', event, orderV1(event.order, event.payment))];
  }
}

const STATUS_EVENT: Record<FulfilmentStep, EventType> = { PREPARING: 'OrderPreparing', SHIPPED: 'OrderShipped', DELIVERED: 'OrderDelivered' };

function of(type: EventType, event: OrderEvent, payload: unknown): OutboxEvent {
  return { type, aggregateType: 'Order', aggregateId: event.order.id, occurredAt: event.occurredAt, payload };
}

// The v1 field lists.
const ORDER_FIELDS_V1 = ['id', 'userId', 'status', 'totalAmount', 'discountAmount', 'finalAmount', 'userCouponId', 'reservationExpiresAt', 'cancelReason', 'shippingAddress', 'createdAt', 'updatedAt'] as const;
const SELLER_ORDER_FIELDS_V1 = ['id', 'userId', 'status', 'shippingAddress', 'cancelReason', 'createdAt', 'updatedAt'] as const;
const LINE_FIELDS_V1 = ['id', 'productId', 'optionId', 'productName', 'optionName', 'unitPrice', 'quantity', 'amount', 'discountAmount', 'status', 'digital', 'refundedQuantity'] as const;
const PAYMENT_FIELDS_V1 = ['id', 'orderId', 'amount', 'status', 'failureReason', 'refundedAmount', 'createdAt', 'updatedAt'] as const;
const REFUND_FIELDS_V1 = ['id', 'orderId', 'paymentId', 'amount', 'status', 'reason', 'createdAt'] as const;
const REFUND_LINE_FIELDS_V1 = ['orderItemId', 'quantity', 'amount', 'discountAmount'] as const;

const lineV1 = (line: OrderLine) => fieldsOf(line, LINE_FIELDS_V1);

function refundV1(refund: RefundSnapshot) {
  return { ...fieldsOf(refund, REFUND_FIELDS_V1), items: refund.items.map((l) => fieldsOf(l, REFUND_LINE_FIELDS_V1)) };
}

function orderV1(order: OrderSnapshot, payment: PaymentSnapshot | null) {
  return {
    ...fieldsOf(order, ORDER_FIELDS_V1),
    items: order.items.map(lineV1),
    payment: payment && fieldsOf(payment, PAYMENT_FIELDS_V1),
    refunds: order.refunds.map(refundV1),
  };
}

/** One seller's lines of an order and what they come to; nothing of another seller's, nor the order's totals. */
function sellerOrderV1(order: OrderSnapshot, sellerId: number) {
  const lines = order.items.filter((l) => l.sellerId === sellerId);
  const itemsAmount = lines.reduce((sum, l) => sum + l.amount, 0);
  const discountAmount = lines.reduce((sum, l) => sum + l.discountAmount, 0);
  const leastAdvanced = lines.reduce<LineStatus>((least, l) => (LINE_STATUSES.indexOf(l.status) < LINE_STATUSES.indexOf(least) ? l.status : least), 'DELIVERED');
  return {
    ...fieldsOf(order, SELLER_ORDER_FIELDS_V1),
    items: lines.map(lineV1),
    sellerView: { sellerId, status: leastAdvanced, itemsAmount, discountAmount, finalAmount: itemsAmount - discountAmount },
  };
}
