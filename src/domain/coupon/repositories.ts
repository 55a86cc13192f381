import type { Coupon, NewCoupon } from './coupon.js';
import type { NewUserCoupon, UserCoupon, UserCouponStatus } from './user-coupon.js';

export interface CouponRepository {
  /** Refuses a code already taken, compared case-insensitively (CouponCodeTaken). */
  add(coupon: NewCoupon): Promise<Coupon>;
  get(id: number): Promise<Coupon | null>;
  getMany(ids: number[]): Promise<Map<number, Coupon>>;
  /** Writes the status. */
  save(coupon: Coupon): Promise<Coupon>;
  /**
   * The first-come-first-served counter: counts one more copy issued if one is left and the
   * coupon is being issued at `now`, as one guarded write; false when it is not. Locks the
   * coupon's row until the transaction ends, so issues of one coupon queue here.
   */
  countOneIssued(couponId: number, now: Date): Promise<boolean>;
  /** Coupons whose window has ended become EXPIRED; how many did. */
  expireEnded(now: Date): Promise<number>;
}

/** How many copies a coupon has out, in all and per user: what an issue gate starts from. */
export interface IssuedCopies {
  issued: number;
  perUser: Map<number, number>;
}

export interface UserCouponRepository {
  /**
   * Gives the user their next copy, numbered after the ones they hold; null when they already
   * hold `perUserLimit`. The numbering is unique, so two racing issues cannot both be the n-th.
   */
  issue(copy: NewUserCoupon, perUserLimit: number): Promise<UserCoupon | null>;
  get(id: number): Promise<UserCoupon | null>;
  /** Loads and locks the copy (taken after the order's stock, before the wallet). */
  getForUpdate(id: number): Promise<UserCoupon | null>;
  save(copy: UserCoupon): Promise<void>;
  heldBy(couponId: number, userId: number): Promise<number>;
  /** Newest first. */
  listForUser(userId: number, status?: UserCouponStatus): Promise<UserCoupon[]>;
  issuedCopies(couponId: number): Promise<IssuedCopies>;
  /** Copies past their validity and held by no order become EXPIRED; how many did. */
  expireEnded(now: Date): Promise<number>;
}
