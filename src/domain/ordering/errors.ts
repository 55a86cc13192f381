import { DomainError } from '../shared/errors.js';

export class OrderLimitExceeded extends DomainError {
  readonly code = 'ORDER_LIMIT_EXCEEDED' as const;
}

export class PaymentDeclined extends DomainError {
  readonly code = 'PAYMENT_DECLINED' as const;
}

/** A partial refund would leave what the order's coupon covers below the coupon's minimum. */
export class CouponMinimumNotMet extends DomainError {
  readonly code = 'COUPON_MINIMUM_NOT_MET' as const;
}
