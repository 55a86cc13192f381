import { LINE_STATUSES, type LineStatus, type Order, type OrderLine, type OrderStatus } from '../../domain/ordering/order.js';
import type { Payment, PaymentStatus, RecoveryState } from '../../domain/ordering/payment.js';
import type { RefundSnapshot, RefundStatus } from '../../domain/ordering/refund.js';
import type { ShippingAddress } from '../../domain/ordering/shipping-address.js';

/** Orders, payments and refunds as the API (and the data platform) sees them: plain JSON. */
export interface PaymentView {
  id: number;
  orderId: number;
  amount: number;
  status: PaymentStatus;
  failureReason: string | null;
  /** What refunds gave back of `amount`. */
  refundedAmount: number;
  createdAt: string;
  updatedAt: string;
}

/** Where the recovery of a payment stands (API.md "payment recovery"). */
export interface PaymentRecoveryView {
  paymentId: number;
  orderId: number;
  userId: number;
  amount: number;
  /** Null while the payment does not wait for the gateway (never did, or settled). */
  state: RecoveryState | null;
  attempts: number;
  waitingSince: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}

export interface OrderItemView {
  /** The line's id: what a partial refund names (`orderItemId`). */
  id: number;
  productId: number;
  optionId: number;
  productName: string;
  optionName: string;
  unitPrice: number;
  quantity: number;
  amount: number;
  /** This line's part of the order's discount. */
  discountAmount: number;
  /** How far its seller has fulfilled it. */
  status: LineStatus;
  /** The product was digital when ordered: nothing to ship. */
  digital: boolean;
  /** Units refunded so far. */
  refundedQuantity: number;
}

export interface OrderView {
  id: number;
  userId: number;
  status: OrderStatus;
  items: OrderItemView[];
  totalAmount: number;
  discountAmount: number;
  finalAmount: number;
  userCouponId: number | null;
  reservationExpiresAt: string;
  cancelReason: string | null;
  /** null only for an order of digital products given none. */
  shippingAddress: ShippingAddress | null;
  payment: PaymentView | null;
  /** Its refunds, oldest first. */
  refunds: RefundView[];
  createdAt: string;
  updatedAt: string;
}

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

/**
 * An order as one of its sellers sees it: only that seller's lines and what they come to, never
 * another seller's lines or prices (nor so the order's totals, nor its payment, whose amount is
 * the whole order's).
 */
export interface SellerOrderView {
  id: number;
  userId: number;
  status: OrderStatus;
  items: OrderItemView[];
  sellerView: SellerPartView;
  /** Where the seller ships to; null when every line is digital. */
  shippingAddress: ShippingAddress | null;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
  /** Never there: the payment is the whole order's. Declared so code handed either view may ask for it. */
  payment?: never;
}

export interface RefundView {
  id: number;
  orderId: number;
  paymentId: number;
  amount: number;
  status: RefundStatus;
  reason: string | null;
  /** The lines and units it gave back. */
  items: RefundItemView[];
  createdAt: string;
}

export interface RefundItemView {
  orderItemId: number;
  quantity: number;
  /** Credited for these units. */
  amount: number;
  /** Their part of the line's discount (not credited: the buyer never paid it). */
  discountAmount: number;
}

export function paymentView(payment: Payment): PaymentView {
  const p = payment.toSnapshot();
  return {
    id: p.id,
    orderId: p.orderId,
    amount: p.amount,
    status: p.status,
    failureReason: p.failureReason,
    refundedAmount: p.refundedAmount,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function paymentRecoveryView(payment: Payment): PaymentRecoveryView {
  const p = payment.toSnapshot();
  return {
    paymentId: p.id,
    orderId: p.orderId,
    userId: p.userId,
    amount: p.amount,
    state: p.recovery.state,
    attempts: p.recovery.attempts,
    waitingSince: payment.waitingSince?.toISOString() ?? null,
    lastAttemptAt: p.recovery.lastAttemptAt?.toISOString() ?? null,
    nextAttemptAt: p.recovery.nextAttemptAt?.toISOString() ?? null,
  };
}

function itemView({ id, productId, optionId, productName, optionName, unitPrice, quantity, amount, discountAmount, status, digital, refundedQuantity }: OrderLine): OrderItemView {
  return { id, productId, optionId, productName, optionName, unitPrice, quantity, amount, discountAmount, status, digital, refundedQuantity };
}

/** The order as `sellerId` sees it: their lines only (the caller checked they have some). */
export function sellerOrderView(order: Order, sellerId: number): SellerOrderView {
  const o = order.toSnapshot();
  const lines = order.linesOf(sellerId);
  const itemsAmount = lines.reduce((sum, l) => sum + l.amount, 0);
  const discountAmount = lines.reduce((sum, l) => sum + l.discountAmount, 0);
  const status = lines.reduce<LineStatus>((least, l) => (LINE_STATUSES.indexOf(l.status) < LINE_STATUSES.indexOf(least) ? l.status : least), 'DELIVERED');
  return {
    id: o.id,
    userId: o.userId,
    status: o.status,
    items: lines.map(itemView),
    sellerView: { sellerId, status, itemsAmount, discountAmount, finalAmount: itemsAmount - discountAmount },
    // The seller ships there.
    shippingAddress: o.shippingAddress ? { ...o.shippingAddress } : null,
    cancelReason: o.cancelReason,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

export function orderView(order: Order, payment: Payment | null): OrderView {
  const o = order.toSnapshot();
  return {
    id: o.id,
    userId: o.userId,
    status: o.status,
    items: o.items.map(itemView),
    totalAmount: o.totalAmount,
    discountAmount: o.discountAmount,
    finalAmount: o.finalAmount,
    userCouponId: o.userCouponId,
    reservationExpiresAt: o.reservationExpiresAt.toISOString(),
    cancelReason: o.cancelReason,
    shippingAddress: o.shippingAddress,
    payment: payment ? paymentView(payment) : null,
    refunds: o.refunds.map(refundView),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

export function refundView(r: RefundSnapshot): RefundView {
  return {
    id: r.id,
    orderId: r.orderId,
    paymentId: r.paymentId,
    amount: r.amount,
    status: r.status,
    reason: r.reason,
    items: r.items.map(({ orderItemId, quantity, amount, discountAmount }) => ({ orderItemId, quantity, amount, discountAmount })),
    createdAt: r.createdAt.toISOString(),
  };
}
