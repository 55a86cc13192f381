import type { CouponRepository, UserCouponRepository } from '../../domain/coupon/repositories.js';
import type { Clock } from '../../domain/shared/clock.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { CouponIssueGate } from '../ports/coupon-issue-gate.js';
import type { Logger } from '../ports/logger.js';
import type { Outbox } from '../ports/outbox.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

/** Everything the coupon use cases share. */
export interface CouponContext {
  coupons: CouponRepository;
  userCoupons: UserCouponRepository;
  users: UserRepository;
  gate: CouponIssueGate;
  outbox: Outbox;
  rateLimiter: RateLimiter;
  transactions: TransactionManager;
  clock: Clock;
  logger: Logger;
}

export const COUPON_ISSUE_RATE_LIMIT = 'coupon-issues';
