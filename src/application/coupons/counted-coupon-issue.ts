import { CouponAlreadyIssued, CouponExhausted, CouponNotIssuable } from '../../domain/coupon/errors.js';
import { RateLimited } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { BusinessMetrics, CouponIssueOutcome } from '../ports/business-metrics.js';
import type { CouponContext } from './coupon-context.js';
import { type IssueRequest, IssueCouponFirstComeFirstServed } from './issue-coupon.js';
import type { UserCouponView } from './views.js';

/** The outcome a refusal of an issue request counts as; null for what is not an outcome (404, a failure). */
function refusalOf(error: unknown): CouponIssueOutcome | null {
  if (error instanceof CouponExhausted) return 'exhausted';
  if (error instanceof CouponAlreadyIssued) return 'already_issued';
  if (error instanceof CouponNotIssuable) return 'not_issuable';
  if (error instanceof RateLimited) return 'rate_limited';
  return null;
}

/**
 * First-come-first-served issue, counted by outcome (`coupon_issues_total`): a copy issued once
 * its transaction has committed, a refusal when it is answered. The issue rules stay in the use
 * case; this only watches what it answers, so a storm's outcomes add up to the requests it made.
 */
export class CountedCouponIssue extends IssueCouponFirstComeFirstServed {
  constructor(
    private readonly context: CouponContext,
    private readonly metrics: BusinessMetrics,
  ) {
    super(context);
  }

  override async execute(actor: Actor, request: IssueRequest): Promise<UserCouponView> {
    const copy = await this.counting(() => super.execute(actor, request));
    // Inside a caller's transaction the copy is not issued until that one commits.
    await this.context.transactions.afterCommit(async () => this.metrics.couponIssue('issued'));
    return copy;
  }

  private async counting<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const outcome = refusalOf(error);
      if (outcome) this.metrics.couponIssue(outcome);
      throw error;
    }
  }
}
