import { LINE_STATUSES, type LineStatus, type Order, type OrderLine, type OrderSnapshot } from '../../domain/ordering/order.js';
import type { Payment, PaymentRecovery, PaymentSnapshot } from '../../domain/ordering/payment.js';
import type { RefundLine, RefundSnapshot } from '../../domain/ordering/refund.js';
import { fieldsOf, type Written } from '../shared/fields.js';

/**
 * Orders, payments and refunds as the API answers them: plain JSON. Each view is the fields of
 * its domain type named in its list below, in that order (the order of the answer's keys), dates
 * as ISO strings; what a field means is said where the domain type declares it.
 */

const PAYMENT_FIELDS = ['id', 'orderId', 'amount', 'status', 'failureReason', 'refundedAmount', 'createdAt', 'updatedAt'] as const;
export type PaymentView = Written<Pick<PaymentSnapshot, (typeof PAYMENT_FIELDS)[number]>>;

/** A payment with its recovery spread out: what its recovery view shows. */
interface PaymentInRecovery extends PaymentSnapshot, PaymentRecovery {
  /** The payment's `id`. */
  paymentId: number;
  /** Since when it waits for the gateway (the step's time: bookkeeping does not move it); null when it does not. */
  waitingSince: Date | null;
}

const RECOVERY_FIELDS = ['paymentId', 'orderId', 'userId', 'amount', 'state', 'attempts', 'waitingSince', 'lastAttemptAt', 'nextAttemptAt'] as const;
/** Where the recovery of a payment stands (API.md "payment recovery"). */
export type PaymentRecoveryView = Written<Pick<PaymentInRecovery, (typeof RECOVERY_FIELDS)[number]>>;

const ITEM_FIELDS = ['id', 'productId', 'optionId', 'productName', 'optionName', 'unitPrice', 'quantity', 'amount', 'discountAmount', 'status', 'digital', 'refundedQuantity'] as const;
/** An order line as its buyer and its seller see it: all of it but whose product it is (`sellerId`). */
export type OrderItemView = Written<Pick<OrderLine, (typeof ITEM_FIELDS)[number]>>;

const REFUND_ITEM_FIELDS = ['orderItemId', 'quantity', 'amount', 'discountAmount'] as const;
export type RefundItemView = Written<Pick<RefundLine, (typeof REFUND_ITEM_FIELDS)[number]>>;

const REFUND_FIELDS = ['id', 'orderId', 'paymentId', 'amount', 'status', 'reason', 'items', 'createdAt'] as const;
export type RefundView = Written<Pick<RefundSnapshot, (typeof REFUND_FIELDS)[number]>>;

/** An order with its lines, payment and refunds as their views show them. */
interface OrderWithViews extends Omit<OrderSnapshot, 'items' | 'refunds'> {
  items: OrderItemView[];
  payment: PaymentView | null;
  /** Its refunds, oldest first. */
  refunds: RefundView[];
}

const ORDER_FIELDS = ['id', 'userId', 'status', 'items', 'totalAmount', 'discountAmount', 'finalAmount', 'userCouponId', 'reservationExpiresAt', 'cancelReason', 'shippingAddress', 'payment', 'refunds', 'createdAt', 'updatedAt'] as const;
export type OrderView = Written<Pick<OrderWithViews, (typeof ORDER_FIELDS)[number]>>;

/** What one seller's lines of an order come to, and where they stand. */
export interface SellerPartView {
  sellerId: number;
  /** The least advanced of the seller's lines (they move together, so normally all of them). */
  status: LineStatus;
  /** Sum of the seller's lines' `amount`. */
  itemsAmount: number;
  /** Sum of the seller's lines' part of the order's discount. */
  discountAmount: number;
  /** `itemsAmount - discountAmount`: what the buyer pays for the seller's lines. */
  finalAmount: number;
}

/** An order with one seller's lines only, and what they come to. */
interface SellerOrder extends Omit<OrderSnapshot, 'items'> {
  /** The seller's lines only. */
  items: OrderItemView[];
  sellerView: SellerPartView;
}

const SELLER_ORDER_FIELDS = ['id', 'userId', 'status', 'items', 'sellerView', 'shippingAddress', 'cancelReason', 'createdAt', 'updatedAt'] as const;
/**
 * An order as one of its sellers sees it: only that seller's lines and what they come to, never
 * another seller's lines or prices (nor so the order's totals, nor its payment, whose amount is
 * the whole order's).
 */
export type SellerOrderView = Written<Pick<SellerOrder, (typeof SELLER_ORDER_FIELDS)[number]>> & {
  /** Never there: the payment is the whole order's. Declared so code handed either view may ask for it. */
  payment?: never;
};

export function paymentView(payment: Payment): PaymentView {
  return fieldsOf(payment.toSnapshot(), PAYMENT_FIELDS);
}

export function paymentRecoveryView(payment: Payment): PaymentRecoveryView {
  const p = payment.toSnapshot();
  return fieldsOf({ ...p, ...p.recovery, paymentId: p.id, waitingSince: payment.waitingSince }, RECOVERY_FIELDS);
}

const itemView = (line: OrderLine): OrderItemView => fieldsOf(line, ITEM_FIELDS);

/** The order as `sellerId` sees it: their lines only (the caller checked they have some). */
export function sellerOrderView(order: Order, sellerId: number): SellerOrderView {
  const lines = order.linesOf(sellerId);
  const itemsAmount = lines.reduce((sum, l) => sum + l.amount, 0);
  const discountAmount = lines.reduce((sum, l) => sum + l.discountAmount, 0);
  const status = lines.reduce<LineStatus>((least, l) => (LINE_STATUSES.indexOf(l.status) < LINE_STATUSES.indexOf(least) ? l.status : least), 'DELIVERED');
  const sellerView: SellerPartView = { sellerId, status, itemsAmount, discountAmount, finalAmount: itemsAmount - discountAmount };
  return fieldsOf({ ...order.toSnapshot(), items: lines.map(itemView), sellerView }, SELLER_ORDER_FIELDS);
}

export function orderView(order: Order, payment: Payment | null): OrderView {
  const o = order.toSnapshot();
  return fieldsOf({ ...o, items: o.items.map(itemView), payment: payment ? paymentView(payment) : null, refunds: o.refunds.map(refundView) }, ORDER_FIELDS);
}

export function refundView(refund: RefundSnapshot): RefundView {
  return fieldsOf({ ...refund, items: refund.items.map((line) => fieldsOf(line, REFUND_ITEM_FIELDS)) }, REFUND_FIELDS);
}
