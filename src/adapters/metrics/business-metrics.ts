import { Counter, type Registry } from 'prom-client';
import {
  type BusinessMetrics,
  COUPON_ISSUE_OUTCOMES,
  type CouponIssueOutcome,
  PAYMENT_OUTCOMES,
  type PaymentOutcome,
} from '../../application/ports/business-metrics.js';

/**
 * The business counters on /metrics (README "Metrics and alerts"). Each instance counts what it
 * committed; sum over instances. Every label value is exported from the start (at 0), so a
 * ratio such as the payment failure rate has both of its series from the first scrape on.
 */
export function prometheusBusinessMetrics(registry: Registry): BusinessMetrics {
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const placed = counter('orders_placed_total', 'Orders placed (stock reserved), counted once committed');
  const paid = counter('orders_paid_total', 'Orders paid (CONFIRMED): the same count as payments_total{outcome="completed"}');
  const cancelled = counter('orders_cancelled_total', 'Unpaid orders cancelled by their buyer or an ADMIN (a paid order cancelled is counted in refunds_total)');
  const expired = counter('orders_expired_total', 'Unpaid orders the sweeper cancelled because their reservation ran out (cancelReason EXPIRED)');
  const refunds = counter('refunds_total', 'Paid orders refunded (balance, stock and coupon given back)');
  const pending = counter(
    'payments_pending_total',
    "Payments whose gateway answer was lost (order PENDING); each is counted again in payments_total when it is settled",
  );
  const stockConflicts = counter('stock_conflicts_total', 'Orders refused for want of stock (409 INSUFFICIENT_STOCK)');
  const payments = new Counter({
    name: 'payments_total',
    help: 'Payment attempts by how they ended: completed (order CONFIRMED), declined (gateway said no: order FAILED, everything given back), insufficient_balance (refused, nothing changed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const couponIssues = new Counter({
    name: 'coupon_issues_total',
    help: 'Coupon issue requests by outcome: issued, exhausted, already_issued, not_issuable, rate_limited',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of PAYMENT_OUTCOMES) payments.inc({ outcome }, 0);
  for (const outcome of COUPON_ISSUE_OUTCOMES) couponIssues.inc({ outcome }, 0);

  return {
    orderPlaced: () => placed.inc(),
    orderCancelled: () => cancelled.inc(),
    orderExpired: () => expired.inc(),
    payment: (outcome: PaymentOutcome) => {
      payments.inc({ outcome });
      if (outcome === 'completed') paid.inc();
    },
    paymentPending: () => pending.inc(),
    refunded: () => refunds.inc(),
    couponIssue: (outcome: CouponIssueOutcome) => couponIssues.inc({ outcome }),
    stockConflict: () => stockConflicts.inc(),
  };
}
