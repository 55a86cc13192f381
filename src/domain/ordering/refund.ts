import { InvalidState, NotFound, ValidationFailed } from '../shared/errors.js';
import { CouponMinimumNotMet } from './errors.js';

export const REFUND_STATUSES = ['REFUND_REQUESTED', 'PROCESSING', 'REFUNDED', 'FAILED', 'MANUAL'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** What one refund gave back of one order line. */
export interface RefundLine {
  orderItemId: number;
  /** Units of the line refunded (1..what was left of it). */
  quantity: number;
  /** What the buyer is credited for them: their price less their part of the line's discount (KRW). */
  amount: number;
  /** Their part of the line's discount, which the buyer never paid and so gets nothing back for. */
  discountAmount: number;
}

export interface RefundSnapshot {
  id: number;
  orderId: number;
  paymentId: number;
  /** What the wallet was credited: the sum of the lines' amounts. */
  amount: number;
  status: RefundStatus;
  reason: string | null;
  createdAt: Date;
  /** The lines and units it gave back, in the order of the order's lines. */
  items: RefundLine[];
}

export type NewRefund = Omit<RefundSnapshot, 'id'>;

/** A buyer's request to refund some units of one line. */
export interface RefundRequestLine {
  orderItemId: number;
  quantity: number;
}

/** What planning a refund needs of an order line. */
export interface RefundableLine {
  id: number;
  unitPrice: number;
  quantity: number;
  discountAmount: number;
  /** Units refunded before. */
  refundedQuantity: number;
}

/**
 * The part of a line's discount that its first `units` units carry: floor(discount × units /
 * quantity). Refunds take units from the front, so a refund of q units after r carries
 * share(r + q) − share(r): the buyer gets the rounding in their favour on early refunds, and the
 * last unit refunded closes the line exactly (all units: the whole discount).
 */
export function discountShare(line: Pick<RefundableLine, 'quantity' | 'discountAmount'>, units: number): number {
  return Math.floor((line.discountAmount * units) / line.quantity);
}

/** One line's refund of `quantity` more units, after what was refunded of it before. */
export function refundLineOf(line: RefundableLine, quantity: number): RefundLine {
  const before = line.refundedQuantity;
  const discountAmount = discountShare(line, before + quantity) - discountShare(line, before);
  return { orderItemId: line.id, quantity, amount: line.unitPrice * quantity - discountAmount, discountAmount };
}

/**
 * The lines a request names are the order's, each named once (400 for a line named twice, 404
 * for one that is not the order's), before anything about the order's state is said.
 */
export function assertLinesOf(orderId: number, lines: readonly Pick<RefundableLine, 'id'>[], requested: readonly RefundRequestLine[]): void {
  const seen = new Set<number>();
  for (const [index, { orderItemId }] of requested.entries()) {
    if (seen.has(orderItemId)) throw new ValidationFailed([{ field: `items.${index}`, message: `order item ${orderItemId} is on two lines` }]);
    seen.add(orderItemId);
  }
  for (const { orderItemId } of requested) {
    if (!lines.some((l) => l.id === orderItemId)) throw new NotFound(`Order item ${orderItemId} of order`, orderId);
  }
}

/** What a coupon on the order covers and asks for, as the refund rules need it. */
export interface CouponTerms {
  /** null: shop-wide (an ADMIN's coupon) covers every line; else that seller's lines. */
  sellerId: number | null;
  minOrderAmount: number;
}

/**
 * A partial refund keeps the order's coupon (it comes back only with the last unit), so what the
 * buyer keeps of the lines the coupon covers must still reach its minimum, as when it was
 * applied: else the buyer would keep a discount the coupon never gives to so small an order.
 * Refunding every covered unit is fine (nothing kept carries the discount); refunding less and
 * dropping below the minimum is refused (422 COUPON_MINIMUM_NOT_MET), changing nothing.
 */
export function assertCouponMinimumKept(
  orderId: number,
  lines: readonly (RefundableLine & { sellerId: number })[],
  plan: readonly RefundLine[],
  coupon: CouponTerms,
): void {
  const refunding = new Map(plan.map((l) => [l.orderItemId, l.quantity]));
  const kept = lines
    .filter((l) => coupon.sellerId === null || l.sellerId === coupon.sellerId)
    .reduce((sum, l) => sum + l.unitPrice * (l.quantity - l.refundedQuantity - (refunding.get(l.id) ?? 0)), 0);
  if (kept > 0 && kept < coupon.minOrderAmount) {
    throw new CouponMinimumNotMet(
      `Order ${orderId}: the lines its coupon covers would come to ${kept} after this refund, below the coupon's minimum of ${coupon.minOrderAmount}; ` +
        'refund all of them, or the whole order, instead',
    );
  }
}

/**
 * What a refund gives back (DOMAIN.md "Refunds"). Without `requested`, every unit not refunded
 * yet (the whole order, or what is left of it); with it, those units of those lines. Refuses a
 * line that is not the order's (404), a line named twice (400), and more units than are left of
 * a line (409), changing nothing. The lines come back in the order of the order's lines.
 */
export function planRefund(orderId: number, lines: readonly RefundableLine[], requested: readonly RefundRequestLine[] | null): RefundLine[] {
  if (requested === null) {
    const rest = lines.filter((l) => l.refundedQuantity < l.quantity).map((l) => refundLineOf(l, l.quantity - l.refundedQuantity));
    if (rest.length === 0) throw new InvalidState(`Order ${orderId} was refunded already`);
    return rest;
  }
  if (requested.length === 0) throw new ValidationFailed([{ field: 'items', message: 'name at least one line to refund' }]);
  for (const [index, { quantity }] of requested.entries()) {
    if (!Number.isSafeInteger(quantity) || quantity < 1) {
      throw new ValidationFailed([{ field: `items.${index}.quantity`, message: 'must be a whole number of 1 or more' }]);
    }
  }
  assertLinesOf(orderId, lines, requested);
  const wanted = new Map(requested.map((r) => [r.orderItemId, r.quantity]));
  const plan: RefundLine[] = [];
  for (const [index, line] of lines.entries()) {
    const quantity = wanted.get(line.id);
    if (quantity === undefined) continue;
    const left = line.quantity - line.refundedQuantity;
    if (quantity > left) {
      throw new InvalidState(
        `Line ${index + 1} (order item ${line.id}) of order ${orderId}: ${left} of its ${line.quantity} units left to refund, ${quantity} requested`,
      );
    }
    plan.push(refundLineOf(line, quantity));
  }
  return plan;
}

/** What a refund plan credits in all. */
export function refundTotal(plan: readonly RefundLine[]): number {
  return plan.reduce((sum, l) => sum + l.amount, 0);
}
