import type { Order } from '../../domain/ordering/order.js';
import type { Payment } from '../../domain/ordering/payment.js';
import { type RefundLine, type RefundSnapshot, refundTotal } from '../../domain/ordering/refund.js';
import { saleDay, saleLinesOf } from '../sales/published.js';
import { InvalidState } from '../../domain/shared/errors.js';
import { moveInLockOrder, movedAggregates } from './lock-order.js';
import type { OrderingContext } from './ordering-context.js';

/**
 * The moves that end an order without a payment going through: cancelling an unpaid one and
 * refunding a paid one, each giving back exactly what the order took. Every method runs inside
 * the caller's transaction, with the order already locked, and moves the rest in the lock order
 * (lock-order.ts).
 */
export class OrderSettlement {
  constructor(private readonly ctx: OrderingContext) {}

  /** An unpaid order is cancelled (by its buyer, or because its reservation ran out). */
  async releaseUnpaid(order: Order, how: { expired: true } | { expired: false; reason: string | null }): Promise<Order> {
    const at = this.ctx.clock.now();
    const moved = await moveInLockOrder(this.ctx, order, {
      stock: (stock) => stock.release(order.stockLines()),
      coupon: (copy) => copy.release(order.id, at),
    });
    // A refused attempt (no balance) leaves a FAILED payment on an order that is still unpaid.
    const latest = await this.ctx.payments.latestFor(order.id);
    if (how.expired) order.expire(at, latest);
    else order.cancel(how.reason, at, latest);
    const saved = await this.ctx.orders.save(order);
    await this.ctx.events.writeEventsOf(order, ...movedAggregates(moved));
    await this.ctx.transactions.afterCommit(async () => (how.expired ? this.ctx.metrics.orderExpired() : this.ctx.metrics.orderCancelled()));
    return saved;
  }

  /**
   * A paid order, not yet shipped, is refunded, wholly or some units of some lines (`plan`, see
   * planRefund): those units' refunded count grows (guarded: never past what was bought), they
   * come back to the stock, their sale is taken back from the day it was recorded on (the day
   * `payment` completed, so a window counts the net sales made in it), and the buyer is credited
   * what they paid for them. When no unit is left unrefunded the coupon comes back (REFUNDED),
   * the payment is REFUNDED and the order CANCELLED; before that the payment is
   * PARTIALLY_REFUNDED and the order keeps its status.
   */
  async refund(order: Order, payment: Payment, plan: readonly RefundLine[], requestedReason: string | null, actorId: number | null): Promise<RefundSnapshot> {
    const at = this.ctx.clock.now();
    const soldAt = payment.completedAt;
    if (!soldAt || !payment.isPaid()) throw new InvalidState(`Payment ${payment.id} is ${payment.status}: only a completed payment can be refunded`);
    const reason = requestedReason?.trim() || null;
    const whole = order.isWhollyRefundedBy(plan);
    const amount = refundTotal(plan);
    const lines = plan.map((l) => {
      const line = order.items.find((i) => i.id === l.orderItemId);
      if (!line) throw new InvalidState(`Order ${order.id} has no order item ${l.orderItemId}`);
      return { ...line, quantity: l.quantity, discountAmount: l.discountAmount };
    });
    // The order's own lines first (written only under the order's lock), then the lock order.
    await this.ctx.orders.refundUnits(order.id, plan);
    const moved = await moveInLockOrder(this.ctx, order, {
      stock: (stock) => stock.returnSold(lines.map((l) => ({ optionId: l.optionId, quantity: l.quantity }))),
      sales: (sales) => sales.revert(saleDay(soldAt), saleLinesOf(lines)),
      ...(whole ? { coupon: (copy) => copy.refund(order.id, at) } : {}),
      ...(amount > 0 ? { wallet: (wallet) => wallet.refund(amount, order.id, { actorId, at, reason: reason ?? (whole ? 'refund' : 'partial refund') }) } : {}),
    });
    payment.recordRefund(amount, whole, at);
    await this.ctx.payments.saveRefund(payment, amount);
    const refund = await this.ctx.refunds.add({
      orderId: order.id,
      paymentId: payment.id,
      amount,
      status: 'REFUNDED',
      reason,
      createdAt: at,
      items: plan.map((l) => ({ ...l })),
    });
    order.recordRefund(refund, at, payment);
    await this.ctx.orders.save(order);
    await this.ctx.events.writeEventsOf(order, ...movedAggregates(moved));
    await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.refunded());
    return refund;
  }
}
