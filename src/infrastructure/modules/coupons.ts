import { InProcessCache } from '../../adapters/memory/in-process-cache.js';
import { COUPON_OPERATIONS, couponRoutes } from '../../adapters/http/routes/coupons.js';
import { ChangeCouponStatus } from '../../application/coupons/change-coupon-status.js';
import { COUPON_ISSUE_RATE_LIMIT, type CouponContext } from '../../application/coupons/coupon-context.js';
import { CountedCouponIssue } from '../../application/coupons/counted-coupon-issue.js';
import { CreateCoupon } from '../../application/coupons/create-coupon.js';
import { ExpireCoupons } from '../../application/coupons/expire-coupons.js';
import { GetCoupon } from '../../application/coupons/get-coupon.js';
import type { IssueCouponFirstComeFirstServed } from '../../application/coupons/issue-coupon.js';
import { ListCoupons } from '../../application/coupons/list-coupons.js';
import { ListUserCoupons } from '../../application/coupons/list-user-coupons.js';
import { DomainEventOutbox } from '../../application/outbox/domain-event-outbox.js';
import { SHARED, token } from '../tokens.js';
import { bindings, bindOver, classTokens, contextModule, useCasesOf } from './module.js';

/** Entries the coupon cache may hold; CACHE_MAX_BYTES bounds what they weigh. */
const COUPON_CACHE_MAX_ENTRIES = 10_000;

/**
 * The coupon context: coupons, their first-come-first-served issue, users' copies.
 * OVER_CONTEXT: its use cases made of the coupon context alone (bound by bindOver).
 */
const OVER_CONTEXT = { CreateCoupon, GetCoupon, ChangeCouponStatus, ListUserCoupons, ListCoupons, ExpireCoupons };
const T = {
  couponContext: token<CouponContext>('CouponContext'),
  ...classTokens(OVER_CONTEXT),
  issueCoupon: token<IssueCouponFirstComeFirstServed>('IssueCouponFirstComeFirstServed'),
};

export const coupons = contextModule('coupons', T, {
  container: bindings((bind) => {
    bind(T.couponContext, (get) => ({
      coupons: get(SHARED.coupons),
      userCoupons: get(SHARED.userCoupons),
      users: get(SHARED.users),
      gate: get(SHARED.couponIssueGate),
      couponCache: new InProcessCache(get(SHARED.clock), COUPON_CACHE_MAX_ENTRIES, get(SHARED.config).cacheMaxBytes),
      events: new DomainEventOutbox(get(SHARED.outbox)),
      rateLimiter: get(SHARED.rateLimiter),
      transactions: get(SHARED.transactions),
      clock: get(SHARED.clock),
      logger: get(SHARED.logger),
    }));
    bindOver(bind, T, T.couponContext, OVER_CONTEXT);
    bind(T.issueCoupon, (get) => new CountedCouponIssue(get(T.couponContext), get(SHARED.businessMetrics)));
  }),
  operations: Object.values(COUPON_OPERATIONS),
  routes: (get) => [couponRoutes(useCasesOf(get, T), get(SHARED.authenticate))],
  jobs: (get, config) => {
    const expiry = get(T.expireCoupons);
    return [{ name: 'coupon-expiry', intervalMs: config.jobIntervalMs, run: () => expiry.execute() }];
  },
  rateLimits: (config) => ({ [COUPON_ISSUE_RATE_LIMIT]: { limit: config.rateLimitCouponIssuesPerMinute, windowMs: 60_000 } }),
});
