import { Coupon, type CouponSnapshot } from '../../domain/coupon/coupon.js';
import type { CouponEvent, UserCouponEvent } from '../../domain/coupon/coupon-events.js';
import type { UserCouponSnapshot } from '../../domain/coupon/user-coupon.js';
import type { OrderEvent } from '../../domain/ordering/order-events.js';
import { LINE_STATUSES, type FulfilmentStep, type LineStatus, type OrderLine, type OrderSnapshot } from '../../domain/ordering/order.js';
import type { PaymentSnapshot } from '../../domain/ordering/payment.js';
import type { RefundSnapshot } from '../../domain/ordering/refund.js';
import type { WalletEvent } from '../../domain/wallet/wallet.js';
import type { EventType, OutboxEvent } from '../ports/outbox.js';

/**
 * What the data platform is told, and in which shape: the integration events. Their payloads are
 * a contract of their own (docs/events/<type>.v<n>.schema.json, frozen), written here from the
 * domain events' snapshots and from nothing else, so a change to an API view can never change
 * what a receiver gets. A new field or a renamed one is a new version beside the old, never an
 * edit of a v1 list below.
 */

/** Every event an aggregate of the shop records. */
export type ShopEvent = OrderEvent | CouponEvent | UserCouponEvent | WalletEvent;

/** The payload version each integration event is written in today. */
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

const ORDER_STATUS_EVENT: Record<FulfilmentStep, EventType> = { PREPARING: 'OrderPreparing', SHIPPED: 'OrderShipped', DELIVERED: 'OrderDelivered' };

/**
 * The integration events one domain event becomes: none for what the outside is not told (see
 * each case), one for most, never more than one.
 */
export function integrationEventsOf(event: ShopEvent): OutboxEvent[] {
  switch (event.type) {
    case 'OrderPlaced':
      return [ofOrder('OrderCreated', event, orderV1(event.order, null))];
    case 'OrderPaid':
      return [ofOrder('PaymentCompleted', event, orderV1(event.order, event.payment))];
    case 'OrderPaymentFailed':
      return [ofOrder('OrderFailed', event, orderV1(event.order, event.payment))];
    case 'OrderCancelled':
      return [ofOrder('OrderCancelled', event, orderV1(event.order, event.payment))];
    case 'OrderRefunded':
      return [ofOrder('RefundCompleted', event, refundV1(event.refund))];
    case 'OrderLinesAdvanced':
      return [ofOrder('FulfilmentAdvanced', event, sellerOrderV1(event.order, event.sellerId))];
    case 'OrderAdvanced':
      return [ofOrder(ORDER_STATUS_EVENT[event.status], event, orderV1(event.order, event.payment))];
    case 'OrderCompleted':
      return [ofOrder('OrderCompleted', event, orderV1(event.order, event.payment))];
    case 'CouponCreated':
      return [ofCoupon('CouponCreated', event.coupon, event.occurredAt, couponV1(event.coupon, event.occurredAt))];
    case 'CouponIssued':
      return [ofCoupon('CouponIssued', event.coupon, event.occurredAt, couponCopyV1(event.copy, event.coupon))];
    // Not in v1: receivers were never sent a coupon's status change, and a new kind is a contract
    // change of its own. The coupon's current status is on GET /coupons/{id}.
    case 'CouponStatusChanged':
      return [];
    // A copy's moves follow the order that makes them (bound by OrderCreated, used by
    // PaymentCompleted, given back by OrderCancelled/OrderFailed), which say so already.
    case 'UserCouponBound':
    case 'UserCouponUsed':
    case 'UserCouponReleased':
    case 'UserCouponRestored':
    case 'UserCouponExpired':
      return [];
    // The balance's moves are the ledger (GET /balances/ledger); payments and refunds reach the
    // platform through the order events that cause them. Not in v1.
    case 'WalletCharged':
    case 'WalletPaid':
    case 'WalletRefunded':
    case 'WalletAdjusted':
      return [];
  }
}

function ofOrder(type: EventType, event: OrderEvent, payload: unknown): OutboxEvent {
  return { type, aggregateType: 'Order', aggregateId: event.order.id, occurredAt: event.occurredAt, payload };
}

function ofCoupon(type: EventType, coupon: CouponSnapshot, occurredAt: Date, payload: unknown): OutboxEvent {
  return { type, aggregateType: 'Coupon', aggregateId: coupon.id, occurredAt, payload };
}

// The v1 field lists. Dates are written as ISO 8601 UTC strings, everything else as it is.

const ORDER_FIELDS_V1 = ['id', 'userId', 'status', 'totalAmount', 'discountAmount', 'finalAmount', 'userCouponId', 'reservationExpiresAt', 'cancelReason', 'shippingAddress', 'createdAt', 'updatedAt'] as const;
const SELLER_ORDER_FIELDS_V1 = ['id', 'userId', 'status', 'shippingAddress', 'cancelReason', 'createdAt', 'updatedAt'] as const;
const LINE_FIELDS_V1 = ['id', 'productId', 'optionId', 'productName', 'optionName', 'unitPrice', 'quantity', 'amount', 'discountAmount', 'status', 'digital', 'refundedQuantity'] as const;
const PAYMENT_FIELDS_V1 = ['id', 'orderId', 'amount', 'status', 'failureReason', 'refundedAmount', 'createdAt', 'updatedAt'] as const;
const REFUND_FIELDS_V1 = ['id', 'orderId', 'paymentId', 'amount', 'status', 'reason', 'createdAt'] as const;
const REFUND_LINE_FIELDS_V1 = ['orderItemId', 'quantity', 'amount', 'discountAmount'] as const;
const COUPON_FIELDS_V1 = ['id', 'code', 'name', 'type', 'discountValue', 'maxDiscountAmount', 'minOrderAmount', 'totalQuantity', 'issuedQuantity', 'perUserLimit', 'validFrom', 'validUntil', 'sellerId', 'createdBy'] as const;
const COUPON_COPY_FIELDS_V1 = ['id', 'couponId', 'status', 'issuedAt', 'usedAt', 'orderId', 'expiresAt'] as const;
const COUPON_TERMS_FIELDS_V1 = ['code', 'name', 'type', 'discountValue'] as const;

type Written<T> = T extends Date ? string : T extends object ? { [K in keyof T]: Written<T[K]> } : T;

/** The named fields of `from`, dates as ISO strings and objects copied. */
function fieldsOf<T extends object, K extends keyof T>(from: T, fields: readonly K[]): { [P in K]: Written<T[P]> } {
  const written: Partial<Record<K, unknown>> = {};
  for (const field of fields) {
    const value: unknown = from[field];
    written[field] = value instanceof Date ? value.toISOString() : value !== null && typeof value === 'object' ? { ...value } : value;
  }
  return written as { [P in K]: Written<T[P]> };
}

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

/** The coupon as it stood, with what its counters and window made of it at that moment. */
function couponV1(coupon: CouponSnapshot, at: Date) {
  const domain = Coupon.fromSnapshot(coupon);
  return { ...fieldsOf(coupon, COUPON_FIELDS_V1), remainingQuantity: domain.remainingQuantity, status: domain.statusAt(at) };
}

function couponCopyV1(copy: UserCouponSnapshot, coupon: CouponSnapshot) {
  return { ...fieldsOf(copy, COUPON_COPY_FIELDS_V1), ...fieldsOf(coupon, COUPON_TERMS_FIELDS_V1) };
}
