import { allocateProportionally } from '../shared/allocation.js';
import { RecordedEvents, type RecordsEvents } from '../shared/domain-event.js';
import { type FieldProblem, Forbidden, InvalidState, ValidationFailed } from '../shared/errors.js';
import type { Actor } from '../user/actor.js';
import type { CouponEvent } from './coupon-events.js';
import { CouponExhausted, CouponNotApplicable, CouponNotIssuable } from './errors.js';
import type { UserCoupon } from './user-coupon.js';

export const COUPON_TYPES = ['PERCENTAGE', 'FIXED'] as const;
export type CouponType = (typeof COUPON_TYPES)[number];

/** What a client sees: the set status, or what the window and the counters make of it. */
export const COUPON_STATUSES = ['CREATED', 'ACTIVE', 'EXHAUSTED', 'EXPIRED', 'SUSPENDED', 'CANCELLED'] as const;
export type CouponStatus = (typeof COUPON_STATUSES)[number];

/** What its creator or an ADMIN may set. */
export const SETTABLE_COUPON_STATUSES = ['SUSPENDED', 'ACTIVE', 'CANCELLED'] as const;
export type SettableCouponStatus = (typeof SETTABLE_COUPON_STATUSES)[number];

/** What is stored: the settable ones, and EXPIRED once the expiry job has seen the window end. */
export type StoredCouponStatus = SettableCouponStatus | 'EXPIRED';

export const COUPON_LIMITS = {
  codePattern: /^[A-Za-z0-9_-]{1,40}$/,
  maxNameLength: 100,
  maxFixedDiscount: 1_000_000_000,
  maxQuantity: 1_000_000_000,
  maxPerUserLimit: 100,
} as const;

/** How much a coupon takes off an order. */
export interface DiscountTerms {
  type: CouponType;
  /** Percent (1..100) or won. */
  discountValue: number;
  /** Caps the discount (of either type: an operator who sets a cap means it); null: no cap. */
  maxDiscountAmount: number | null;
  minOrderAmount: number;
}

/**
 * The discount on an order of `total` won: a percentage rounds down (1,235 at 10% is 123); either
 * type stops at the cap when there is one, and at the whole order. Never negative, never above
 * the total.
 */
export function discountFor(terms: DiscountTerms, total: number): number {
  const raw = terms.type === 'PERCENTAGE' ? Math.floor((total * terms.discountValue) / 100) : terms.discountValue;
  const capped = terms.maxDiscountAmount === null ? raw : Math.min(raw, terms.maxDiscountAmount);
  return Math.max(0, Math.min(capped, total));
}

/** What a coupon covers: one seller's products, or (null) the whole order. */
export interface CouponScope {
  /** The seller whose products it covers; null: shop-wide (an ADMIN's). */
  sellerId: number | null;
}

/** What a coupon needs to know of an order line. */
export interface DiscountableLine {
  sellerId: number;
  /** Unit price × quantity. */
  amount: number;
}

/** A coupon applied to an order's lines. */
export interface CouponDiscount {
  /** What the lines the coupon covers come to: the amount its minimum, percentage and cap apply to. */
  eligibleAmount: number;
  /** The order's discount. */
  amount: number;
  /** Each line's part of it, in the order of the lines: only covered lines get any. */
  lineDiscounts: number[];
}

/**
 * Applies a coupon to an order's lines. A SELLER's coupon covers only that seller's lines: its
 * minimum order amount, its percentage, its cap and the "never above" limit are all worked out on
 * what those lines come to, so it can never take anything off another seller's goods. An ADMIN's
 * coupon (scope null) covers the whole order. The discount is then split over the covered lines
 * in proportion to their amounts (allocateProportionally). COUPON_NOT_APPLICABLE when the order
 * has no line the coupon covers, or the covered lines come to less than its minimum.
 */
export function couponDiscountOn(terms: DiscountTerms & CouponScope, lines: readonly DiscountableLine[]): CouponDiscount {
  const covered = lines.map((line) => terms.sellerId === null || line.sellerId === terms.sellerId);
  const eligibleAmount = lines.reduce((sum, line, i) => (covered[i] ? sum + line.amount : sum), 0);
  if (terms.sellerId !== null && eligibleAmount === 0) {
    throw new CouponNotApplicable(`This coupon is for seller ${terms.sellerId}'s products only, and the order has none of them`);
  }
  if (eligibleAmount < terms.minOrderAmount) {
    throw new CouponNotApplicable(
      terms.sellerId === null
        ? `The order total ${eligibleAmount} is below the coupon's minimum of ${terms.minOrderAmount}`
        : `Seller ${terms.sellerId}'s products in the order come to ${eligibleAmount}, below the coupon's minimum of ${terms.minOrderAmount}`,
    );
  }
  const amount = discountFor(terms, eligibleAmount);
  const lineDiscounts = allocateProportionally(
    amount,
    lines.map((line, i) => (covered[i] ? line.amount : 0)),
  );
  return { eligibleAmount, amount, lineDiscounts };
}

export interface CouponSnapshot extends DiscountTerms, CouponScope {
  id: number;
  code: string;
  name: string;
  /** null: unlimited. */
  totalQuantity: number | null;
  issuedQuantity: number;
  perUserLimit: number;
  validFrom: Date;
  validUntil: Date;
  status: StoredCouponStatus;
  createdBy: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewCoupon = Omit<CouponSnapshot, 'id'>;

export interface CreateCouponInput {
  code: string;
  name: string;
  type: CouponType;
  discountValue: number;
  maxDiscountAmount?: number | null;
  minOrderAmount?: number;
  totalQuantity?: number | null;
  perUserLimit?: number;
  validFrom: Date;
  validUntil: Date;
}

const isIntegerIn = (value: number, min: number, max: number) => Number.isSafeInteger(value) && value >= min && value <= max;

/**
 * A discount campaign. Issued copies are counted here (the first-come-first-served counter);
 * the copies themselves are UserCoupons.
 */
export class Coupon implements RecordsEvents<CouponEvent> {
  private readonly events = new RecordedEvents<CouponEvent>();

  private constructor(private state: CouponSnapshot) {}

  /** A coupon just stored for the first time: CouponCreated is recorded. The repository's `add` answers with this. */
  static created(snapshot: CouponSnapshot): Coupon {
    const coupon = Coupon.fromSnapshot(snapshot);
    coupon.events.record({ type: 'CouponCreated', occurredAt: snapshot.createdAt, coupon: coupon.toSnapshot() });
    return coupon;
  }

  /** The events recorded since it was loaded (or since the last call), oldest first. */
  pullEvents(): CouponEvent[] {
    return this.events.pull();
  }

  /**
   * `copy` of this coupon was issued (the database's guarded counter and the per-user numbering
   * let it through): CouponIssued is recorded. The counter itself lives in the database, so this
   * instance's `issuedQuantity` is not moved.
   */
  issued(copy: UserCoupon, at: Date): void {
    if (copy.couponId !== this.id) throw new RangeError(`User coupon ${copy.id} is a copy of coupon ${copy.couponId}, not ${this.id}`);
    this.events.record({ type: 'CouponIssued', occurredAt: at, coupon: this.toSnapshot(), copy: copy.toSnapshot() });
  }

  static fromSnapshot(snapshot: CouponSnapshot): Coupon {
    return new Coupon({ ...snapshot });
  }

  /**
   * Checks every rule of a new coupon; all broken ones are reported together. A SELLER's coupon
   * covers that seller's products only; an ADMIN's covers the whole shop.
   */
  static create(input: CreateCouponInput, creator: Actor, at: Date): NewCoupon {
    const problems: FieldProblem[] = [];
    const problem = (field: string, message: string) => problems.push({ field, message });
    const maxDiscountAmount = input.maxDiscountAmount ?? null;
    const minOrderAmount = input.minOrderAmount ?? 0;
    const totalQuantity = input.totalQuantity ?? null;
    const perUserLimit = input.perUserLimit ?? 1;
    const name = input.name.trim();

    if (!COUPON_LIMITS.codePattern.test(input.code)) problem('code', 'must be 1 to 40 letters, digits, "_" or "-"');
    if (name.length === 0 || name.length > COUPON_LIMITS.maxNameLength) problem('name', `must be 1 to ${COUPON_LIMITS.maxNameLength} characters`);
    if (!COUPON_TYPES.includes(input.type)) problem('type', `must be one of ${COUPON_TYPES.join(', ')}`);
    if (input.type === 'PERCENTAGE' && !isIntegerIn(input.discountValue, 1, 100)) problem('discountValue', 'must be a whole percentage from 1 to 100');
    if (input.type === 'FIXED' && !isIntegerIn(input.discountValue, 1, COUPON_LIMITS.maxFixedDiscount)) {
      problem('discountValue', `must be a whole amount from 1 to ${COUPON_LIMITS.maxFixedDiscount}`);
    }
    if (maxDiscountAmount !== null && !isIntegerIn(maxDiscountAmount, 1, Number.MAX_SAFE_INTEGER)) problem('maxDiscountAmount', 'must be a positive whole amount');
    if (!isIntegerIn(minOrderAmount, 0, Number.MAX_SAFE_INTEGER)) problem('minOrderAmount', 'must be a whole amount, 0 or more');
    if (totalQuantity !== null && !isIntegerIn(totalQuantity, 1, COUPON_LIMITS.maxQuantity)) problem('totalQuantity', `must be from 1 to ${COUPON_LIMITS.maxQuantity}`);
    if (!isIntegerIn(perUserLimit, 1, COUPON_LIMITS.maxPerUserLimit)) problem('perUserLimit', `must be from 1 to ${COUPON_LIMITS.maxPerUserLimit}`);
    if (Number.isNaN(input.validFrom.getTime())) problem('validFrom', 'must be a date-time');
    if (Number.isNaN(input.validUntil.getTime())) problem('validUntil', 'must be a date-time');
    else if (input.validUntil.getTime() <= input.validFrom.getTime()) problem('validUntil', 'must be after validFrom');
    else if (input.validUntil.getTime() <= at.getTime()) problem('validUntil', 'must be in the future');
    if (problems.length > 0) throw new ValidationFailed(problems);
    // After the rules: they are shape problems (400), and the shape comes before permission (403).
    if (creator.role !== 'SELLER' && creator.role !== 'ADMIN') throw new Forbidden('Only a SELLER or an ADMIN creates coupons');

    return {
      code: input.code,
      name,
      type: input.type,
      discountValue: input.discountValue,
      maxDiscountAmount,
      minOrderAmount,
      totalQuantity,
      issuedQuantity: 0,
      perUserLimit,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      status: 'ACTIVE',
      sellerId: creator.role === 'SELLER' ? creator.userId : null,
      createdBy: creator.userId,
      createdAt: at,
      updatedAt: at,
    };
  }

  get id(): number {
    return this.state.id;
  }
  get createdBy(): number {
    return this.state.createdBy;
  }
  get totalQuantity(): number | null {
    return this.state.totalQuantity;
  }
  get perUserLimit(): number {
    return this.state.perUserLimit;
  }
  get validUntil(): Date {
    return this.state.validUntil;
  }
  get isLimited(): boolean {
    return this.state.totalQuantity !== null;
  }
  /** null: unlimited. */
  get remainingQuantity(): number | null {
    return this.state.totalQuantity === null ? null : Math.max(0, this.state.totalQuantity - this.state.issuedQuantity);
  }

  statusAt(now: Date): CouponStatus {
    const { status } = this.state;
    if (status === 'SUSPENDED' || status === 'CANCELLED' || status === 'EXPIRED') return status;
    if (now.getTime() >= this.state.validUntil.getTime()) return 'EXPIRED';
    if (now.getTime() < this.state.validFrom.getTime()) return 'CREATED';
    if (this.remainingQuantity === 0) return 'EXHAUSTED';
    return 'ACTIVE';
  }

  /**
   * May a copy be issued now? `limitedOnly`: the limited-issue endpoint, for coupons with a
   * total quantity. An exhausted coupon says so rather than "not issuable".
   */
  assertIssuable(now: Date, options: { limitedOnly: boolean }): void {
    if (this.assertBeingIssued(now, options) === 'EXHAUSTED') throw new CouponExhausted(`Coupon ${this.id} has no copies left`);
  }

  /**
   * assertIssuable without the last check, that copies are left: refuses what is not being
   * issued now (or not on the limited-issue endpoint), and answers whether it is ACTIVE or
   * EXHAUSTED. For a caller that asks the counters next, who tell a holder from a latecomer.
   */
  assertBeingIssued(now: Date, options: { limitedOnly: boolean }): 'ACTIVE' | 'EXHAUSTED' {
    if (options.limitedOnly && !this.isLimited) throw new CouponNotIssuable(`Coupon ${this.id} has no limited quantity`);
    const status = this.statusAt(now);
    if (status !== 'ACTIVE' && status !== 'EXHAUSTED') throw new CouponNotIssuable(`Coupon ${this.id} is ${status}, not being issued`);
    return status;
  }

  /** A copy already issued may be used while the campaign runs: not suspended, cancelled or over. */
  isRedeemableAt(now: Date): boolean {
    const status = this.statusAt(now);
    return status === 'ACTIVE' || status === 'EXHAUSTED';
  }

  /** null: shop-wide (an ADMIN's coupon). */
  get sellerId(): number | null {
    return this.state.sellerId;
  }

  discountFor(total: number): number {
    return discountFor(this.state, total);
  }

  /** This coupon on an order's lines (see couponDiscountOn). */
  discountOn(lines: readonly DiscountableLine[]): CouponDiscount {
    return couponDiscountOn(this.state, lines);
  }

  /**
   * Its creator (or an ADMIN) suspends, resumes or cancels it. Cancelled and expired coupons are
   * final; setting the status it already has (ACTIVE on a running one) changes nothing.
   */
  changeStatus(to: SettableCouponStatus, now: Date): void {
    const current = this.statusAt(now);
    if (current === 'CANCELLED' || current === 'EXPIRED') throw new InvalidState(`Coupon ${this.id} is ${current}: it can no longer change`);
    if (this.state.status === to) return;
    this.state = { ...this.state, status: to, updatedAt: now };
    this.events.record({ type: 'CouponStatusChanged', occurredAt: now, coupon: this.toSnapshot(), status: to });
  }

  /** The expiry job: the window has ended. */
  expire(now: Date): void {
    if (this.state.status === 'CANCELLED' || this.state.status === 'EXPIRED') return;
    if (now.getTime() < this.state.validUntil.getTime()) throw new InvalidState(`Coupon ${this.id} runs until ${this.state.validUntil.toISOString()}`);
    this.state = { ...this.state, status: 'EXPIRED', updatedAt: now };
  }

  toSnapshot(): CouponSnapshot {
    return { ...this.state };
  }
}
