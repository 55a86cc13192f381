import { DomainError } from '../shared/errors.js';

/** Every copy is gone: a first-come-first-served issue lost. */
export class CouponExhausted extends DomainError {
  readonly code = 'COUPON_EXHAUSTED' as const;
}

/** The user already holds as many copies as the coupon allows one user. */
export class CouponAlreadyIssued extends DomainError {
  readonly code = 'COUPON_ALREADY_ISSUED' as const;
}

/** Not being issued now: before its window, after it, suspended or cancelled. */
export class CouponNotIssuable extends DomainError {
  readonly code = 'COUPON_NOT_ISSUABLE' as const;
}

export class CouponCodeTaken extends DomainError {
  readonly code = 'COUPON_CODE_TAKEN' as const;
}

/** The coupon named on an order cannot be applied to it (never says more than the buyer may know). */
export class CouponNotApplicable extends DomainError {
  readonly code = 'COUPON_NOT_APPLICABLE' as const;
}
