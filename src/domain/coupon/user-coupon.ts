import { RecordedEvents, type RecordsEvents } from '../shared/domain-event.js';
import { InvalidState } from '../shared/errors.js';
import type { UserCouponEvent } from './coupon-events.js';
import { CouponNotApplicable } from './errors.js';

export const USER_COUPON_STATUSES = ['ISSUED', 'USED', 'EXPIRED', 'REFUNDED'] as const;
export type UserCouponStatus = (typeof USER_COUPON_STATUSES)[number];

export interface UserCouponSnapshot {
  id: number;
  couponId: number;
  userId: number;
  /** This is the user's n-th copy of the coupon (1..perUserLimit). */
  n: number;
  status: UserCouponStatus;
  /** The unpaid order it is bound to, or the order that used it. */
  orderId: number | null;
  issuedAt: Date;
  usedAt: Date | null;
  expiresAt: Date;
}

export type NewUserCoupon = Omit<UserCouponSnapshot, 'id' | 'n' | 'status' | 'orderId' | 'usedAt'>;

/**
 * A copy of a coupon held by one user. While an unpaid order holds it, it stays ISSUED (or
 * REFUNDED) and names the order; paying makes it USED; an unpaid order that ends gives it back
 * untouched; refunding a paid order makes it REFUNDED, usable again.
 */
export class UserCoupon implements RecordsEvents<UserCouponEvent> {
  private readonly events = new RecordedEvents<UserCouponEvent>();

  private constructor(private state: UserCouponSnapshot) {}

  /** The events recorded since it was loaded (or since the last call), oldest first. */
  pullEvents(): UserCouponEvent[] {
    return this.events.pull();
  }

  static fromSnapshot(snapshot: UserCouponSnapshot): UserCoupon {
    return new UserCoupon({ ...snapshot });
  }

  get id(): number {
    return this.state.id;
  }
  get couponId(): number {
    return this.state.couponId;
  }
  get userId(): number {
    return this.state.userId;
  }
  get status(): UserCouponStatus {
    return this.state.status;
  }
  get orderId(): number | null {
    return this.state.orderId;
  }

  /**
   * Why this copy cannot go on a new order of `userId`, or null when it can. The reasons are for
   * the buyer's own coupons; someone else's is refused without saying anything about it.
   */
  whyNotApplicable(userId: number, now: Date): string | null {
    if (this.state.userId !== userId) return `User coupon ${this.id} is not yours`;
    if (this.state.status === 'USED') return `User coupon ${this.id} has been used`;
    if (this.state.status === 'EXPIRED' || now.getTime() >= this.state.expiresAt.getTime()) return `User coupon ${this.id} has expired`;
    if (this.state.orderId !== null) return `User coupon ${this.id} is held by order ${this.state.orderId}, which is not paid yet`;
    return null;
  }

  bindTo(orderId: number, userId: number, now: Date): void {
    const reason = this.whyNotApplicable(userId, now);
    if (reason) throw new CouponNotApplicable(reason);
    this.state = { ...this.state, orderId };
    this.record('UserCouponBound', now, orderId);
  }

  /** The order it is bound to was paid. */
  use(orderId: number, at: Date): void {
    this.assertBoundTo(orderId);
    if (this.state.status !== 'ISSUED' && this.state.status !== 'REFUNDED') throw new InvalidState(`User coupon ${this.id} is ${this.state.status}`);
    this.state = { ...this.state, status: 'USED', usedAt: at };
    this.record('UserCouponUsed', at, orderId);
  }

  /** The unpaid order that held it is over (cancelled, expired, failed): it was never used. */
  release(orderId: number, at: Date): void {
    this.assertBoundTo(orderId);
    if (this.state.status === 'USED') throw new InvalidState(`User coupon ${this.id} was used by order ${orderId}`);
    this.state = { ...this.state, orderId: null };
    this.record('UserCouponReleased', at, orderId);
  }

  /** The paid order that used it was refunded: usable again. */
  refund(orderId: number, at: Date): void {
    this.assertBoundTo(orderId);
    if (this.state.status !== 'USED') throw new InvalidState(`User coupon ${this.id} is ${this.state.status}, not used`);
    this.state = { ...this.state, status: 'REFUNDED', orderId: null, usedAt: null };
    this.record('UserCouponRestored', at, orderId);
  }

  /** The expiry job: past its validity and not held by an order. */
  expire(now: Date): void {
    if (this.state.status !== 'ISSUED' && this.state.status !== 'REFUNDED') throw new InvalidState(`User coupon ${this.id} is ${this.state.status}`);
    if (this.state.orderId !== null) throw new InvalidState(`User coupon ${this.id} is held by order ${this.state.orderId}`);
    if (now.getTime() < this.state.expiresAt.getTime()) throw new InvalidState(`User coupon ${this.id} is valid until ${this.state.expiresAt.toISOString()}`);
    this.state = { ...this.state, status: 'EXPIRED' };
    this.record('UserCouponExpired', now, null);
  }

  private record(type: UserCouponEvent['type'], at: Date, orderId: number | null): void {
    this.events.record({ type, occurredAt: at, copy: this.toSnapshot(), orderId });
  }

  private assertBoundTo(orderId: number): void {
    if (this.state.orderId !== orderId) throw new InvalidState(`User coupon ${this.id} is not held by order ${orderId}`);
  }

  toSnapshot(): UserCouponSnapshot {
    return { ...this.state };
  }
}
