import type { Coupon, CouponStatus, CouponType } from '../../domain/coupon/coupon.js';
import type { UserCoupon, UserCouponStatus } from '../../domain/coupon/user-coupon.js';

/** Coupons as the API (and the data platform) sees them. */
export interface CouponView {
  id: number;
  code: string;
  name: string;
  type: CouponType;
  discountValue: number;
  maxDiscountAmount: number | null;
  minOrderAmount: number;
  totalQuantity: number | null;
  issuedQuantity: number;
  remainingQuantity: number | null;
  perUserLimit: number;
  validFrom: string;
  validUntil: string;
  status: CouponStatus;
  /** The seller whose products it covers; null: shop-wide (an ADMIN's). */
  sellerId: number | null;
  createdBy: number;
}

export interface UserCouponView {
  id: number;
  couponId: number;
  code: string;
  name: string;
  type: CouponType;
  discountValue: number;
  status: UserCouponStatus;
  issuedAt: string;
  usedAt: string | null;
  orderId: number | null;
  expiresAt: string;
}

export function couponView(coupon: Coupon, now: Date): CouponView {
  const c = coupon.toSnapshot();
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    type: c.type,
    discountValue: c.discountValue,
    maxDiscountAmount: c.maxDiscountAmount,
    minOrderAmount: c.minOrderAmount,
    totalQuantity: c.totalQuantity,
    issuedQuantity: c.issuedQuantity,
    remainingQuantity: coupon.remainingQuantity,
    perUserLimit: c.perUserLimit,
    validFrom: c.validFrom.toISOString(),
    validUntil: c.validUntil.toISOString(),
    status: coupon.statusAt(now),
    sellerId: c.sellerId,
    createdBy: c.createdBy,
  };
}

export function userCouponView(copy: UserCoupon, coupon: Coupon): UserCouponView {
  const u = copy.toSnapshot();
  const c = coupon.toSnapshot();
  return {
    id: u.id,
    couponId: u.couponId,
    code: c.code,
    name: c.name,
    type: c.type,
    discountValue: c.discountValue,
    status: u.status,
    issuedAt: u.issuedAt.toISOString(),
    usedAt: u.usedAt?.toISOString() ?? null,
    orderId: u.orderId,
    expiresAt: u.expiresAt.toISOString(),
  };
}
