import type { DomainEventOutbox } from '../outbox/domain-event-outbox.js';
import type { CouponRepository, UserCouponRepository } from '../../domain/coupon/repositories.js';
import type { Clock } from '../../domain/shared/clock.js';
import type { UserRepository } from '../users/published.js';
import type { Cache } from '../ports/cache.js';
import type { CouponIssueGate } from '../ports/coupon-issue-gate.js';
import type { Logger } from '../ports/logger.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

/** Everything the coupon use cases share. */
export interface CouponContext {
  coupons: CouponRepository;
  userCoupons: UserCouponRepository;
  users: UserRepository;
  gate: CouponIssueGate;
  /**
   * Coupons as the issue path reads them, kept for a second in this process: a storm of 10,000
   * requests reads the coupon once a second, not 10,000 times. The gate and the guarded counter
   * decide who gets a copy; a coupon suspended on another instance is seen here within the second.
   */
  couponCache: Cache;
  /** Where the changed aggregates' events go, in the transaction that changed them. */
  events: DomainEventOutbox;
  rateLimiter: RateLimiter;
  transactions: TransactionManager;
  clock: Clock;
  logger: Logger;
}

export const COUPON_ISSUE_RATE_LIMIT = 'coupon-issues';
export const COUPON_TERMS_TTL_SECONDS = 1;
export const couponNamespace = (couponId: number) => `coupon:${couponId}`;
/** Which coupon a code names: fixed for good once the coupon exists (codes never change, coupons are never deleted). */
export const COUPON_CODE_TTL_SECONDS = 300;
/** Codes are unique in any case: one entry per code, whatever case it was sent in. */
export const couponCodeNamespace = (code: string) => `coupon-code:${code.toUpperCase()}`;
