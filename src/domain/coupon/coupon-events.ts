import type { DomainEvent } from '../shared/domain-event.js';
import type { CouponSnapshot, SettableCouponStatus } from './coupon.js';
import type { UserCouponSnapshot } from './user-coupon.js';

/** A campaign was opened. */
export interface CouponCreated extends DomainEvent {
  readonly type: 'CouponCreated';
  readonly coupon: CouponSnapshot;
}

/** A copy of the coupon went to a user (the database counted it). */
export interface CouponIssued extends DomainEvent {
  readonly type: 'CouponIssued';
  readonly coupon: CouponSnapshot;
  readonly copy: UserCouponSnapshot;
}

/** Its creator or an ADMIN suspended, resumed or cancelled it. */
export interface CouponStatusChanged extends DomainEvent {
  readonly type: 'CouponStatusChanged';
  readonly coupon: CouponSnapshot;
  readonly status: SettableCouponStatus;
}

export type CouponEvent = CouponCreated | CouponIssued | CouponStatusChanged;

/** What happened to one user's copy of a coupon, with the copy as it stood just after. */
export interface UserCouponEvent extends DomainEvent {
  readonly type: 'UserCouponBound' | 'UserCouponUsed' | 'UserCouponReleased' | 'UserCouponRestored' | 'UserCouponExpired';
  readonly copy: UserCouponSnapshot;
  /** The order it was bound to, used by, released or restored from; null for an expiry. */
  readonly orderId: number | null;
}
