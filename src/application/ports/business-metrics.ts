/** How a payment attempt ended: completed (order CONFIRMED), declined (order FAILED), or refused for want of balance (nothing changed). */
export const PAYMENT_OUTCOMES = ['completed', 'declined', 'insufficient_balance'] as const;
export type PaymentOutcome = (typeof PAYMENT_OUTCOMES)[number];

/** What one coupon issue request came to (404s and failures of the service are not counted). */
export const COUPON_ISSUE_OUTCOMES = ['issued', 'exhausted', 'already_issued', 'not_issuable', 'rate_limited'] as const;
export type CouponIssueOutcome = (typeof COUPON_ISSUE_OUTCOMES)[number];

/**
 * The shop's business counters, for dashboards and alerts (README "Metrics and alerts").
 *
 * A count describes what happened, so a change is counted only once it has committed: callers
 * inside a transaction count through `TransactionManager.afterCommit`, which also counts at once
 * when no transaction is open, and never when it rolls back. A refusal (nothing was written) is
 * counted when it is answered. Never throws.
 */
export interface BusinessMetrics {
  /** An order was placed (its stock reserved). */
  orderPlaced(): void;
  /** An unpaid order was cancelled by its buyer or an ADMIN. */
  orderCancelled(): void;
  /** The sweeper cancelled an unpaid order whose reservation ran out. */
  orderExpired(): void;
  /** A payment ended; `completed` is also an order paid. */
  payment(outcome: PaymentOutcome): void;
  /** The gateway's answer to a payment was lost: the payment waits (it is counted again by `payment` when settled). */
  paymentPending(): void;
  /** A paid order was refunded. */
  refunded(): void;
  couponIssue(outcome: CouponIssueOutcome): void;
  /** An order was refused for want of stock (INSUFFICIENT_STOCK). */
  stockConflict(): void;
}
