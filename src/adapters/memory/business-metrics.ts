import type { BusinessMetrics, CouponIssueOutcome, PaymentOutcome } from '../../application/ports/business-metrics.js';

/**
 * The business counters in a map, keyed by the series the Prometheus adapter would move
 * (`orders_placed_total`, `payments_total{outcome="completed"}`): for tests, and for anyone who
 * runs the use cases without Prometheus.
 */
export class MemoryBusinessMetrics implements BusinessMetrics {
  private readonly counts = new Map<string, number>();

  /** The count of one series (0 when never counted). */
  count(series: string): number {
    return this.counts.get(series) ?? 0;
  }

  /** Every series counted so far. */
  all(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  private add(series: string): void {
    this.counts.set(series, this.count(series) + 1);
  }

  orderPlaced(): void {
    this.add('orders_placed_total');
  }
  orderCancelled(): void {
    this.add('orders_cancelled_total');
  }
  orderExpired(): void {
    this.add('orders_expired_total');
  }
  payment(outcome: PaymentOutcome): void {
    this.add(`payments_total{outcome="${outcome}"}`);
    if (outcome === 'completed') this.add('orders_paid_total');
  }
  paymentPending(): void {
    this.add('payments_pending_total');
  }
  refunded(): void {
    this.add('refunds_total');
  }
  couponIssue(outcome: CouponIssueOutcome): void {
    this.add(`coupon_issues_total{outcome="${outcome}"}`);
  }
  stockConflict(): void {
    this.add('stock_conflicts_total');
  }
}
