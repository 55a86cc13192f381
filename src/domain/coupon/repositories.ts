import type { Page, PageRequest } from '../shared/page.js';
import type { Coupon, CouponStatus, NewCoupon } from './coupon.js';
import type { NewUserCoupon, UserCoupon, UserCouponStatus } from './user-coupon.js';

export interface CouponRepository {
  /** Refuses a code already taken, compared case-insensitively (CouponCodeTaken). */
  add(coupon: NewCoupon): Promise<Coupon>;
  get(id: number): Promise<Coupon | null>;
  getMany(ids: number[]): Promise<Map<number, Coupon>>;
  /** The coupon with this code, compared case-insensitively (as codes are unique); null when none. */
  findByCode(code: string): Promise<Coupon | null>;
  /** Coupons matching every filter given, newest first (highest id first). */
  list(query: CouponQuery): Promise<Page<Coupon>>;
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

/** Filters of a coupon listing; each one left out matches every coupon. */
export interface CouponQuery extends PageRequest {
  /** Created by this user (what a SELLER manages). */
  createdBy?: number;
  /** Scoped to this seller (`sellerId`; never a shop-wide coupon). */
  sellerId?: number;
  /** This code, compared case-insensitively. */
  code?: string;
  /** The status as `Coupon.statusAt(now)` works it out (window and counters included), not the stored one. */
  status?: CouponStatus;
  /** The instant `status` is worked out at. */
  now: Date;
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
  /** Loads and locks the copy (taken after the buyer's wallet, before the order's stock: lock-order.ts). */
  getForUpdate(id: number): Promise<UserCoupon | null>;
  save(copy: UserCoupon): Promise<void>;
  heldBy(couponId: number, userId: number): Promise<number>;
  /** Newest first. */
  listForUser(userId: number, status?: UserCouponStatus): Promise<UserCoupon[]>;
  issuedCopies(couponId: number): Promise<IssuedCopies>;
  /** Copies past their validity and held by no order become EXPIRED; how many did. */
  expireEnded(now: Date): Promise<number>;
}
