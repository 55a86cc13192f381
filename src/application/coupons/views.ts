import type { Coupon, CouponSnapshot, CouponStatus } from '../../domain/coupon/coupon.js';
import type { UserCoupon, UserCouponSnapshot } from '../../domain/coupon/user-coupon.js';
import { fieldsOf, type Written } from '../shared/fields.js';

/**
 * Coupons as the API answers them: the fields of the domain type named in each list below, in
 * that order (the order of the answer's keys), dates as ISO strings; what a field means is said
 * where the domain type declares it.
 */

/** A coupon with what its counters and its window make of it at a moment. */
interface CouponAt extends Omit<CouponSnapshot, 'status'> {
  /** Copies left to issue; null: unlimited. */
  remainingQuantity: number | null;
  /** The set status, or what the window and the counters make of it. */
  status: CouponStatus;
}

const COUPON_FIELDS = ['id', 'code', 'name', 'type', 'discountValue', 'maxDiscountAmount', 'minOrderAmount', 'totalQuantity', 'issuedQuantity', 'remainingQuantity', 'perUserLimit', 'validFrom', 'validUntil', 'status', 'sellerId', 'createdBy'] as const;
export type CouponView = Written<Pick<CouponAt, (typeof COUPON_FIELDS)[number]>>;

/** A user's copy of a coupon, with the coupon's name and terms. */
type CopyWithTerms = UserCouponSnapshot & Pick<CouponSnapshot, 'code' | 'name' | 'type' | 'discountValue'>;

const USER_COUPON_FIELDS = ['id', 'couponId', 'code', 'name', 'type', 'discountValue', 'status', 'issuedAt', 'usedAt', 'orderId', 'expiresAt'] as const;
export type UserCouponView = Written<Pick<CopyWithTerms, (typeof USER_COUPON_FIELDS)[number]>>;

export function couponView(coupon: Coupon, now: Date): CouponView {
  return fieldsOf({ ...coupon.toSnapshot(), remainingQuantity: coupon.remainingQuantity, status: coupon.statusAt(now) }, COUPON_FIELDS);
}

export function userCouponView(copy: UserCoupon, coupon: Coupon): UserCouponView {
  const { code, name, type, discountValue } = coupon.toSnapshot();
  return fieldsOf({ ...copy.toSnapshot(), code, name, type, discountValue }, USER_COUPON_FIELDS);
}
