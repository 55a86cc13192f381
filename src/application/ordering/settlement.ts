import type { UserCoupon } from '../../domain/coupon/user-coupon.js';
import type { Order } from '../../domain/ordering/order.js';
import type { Payment } from '../../domain/ordering/payment.js';
import { type RefundLine, type RefundSnapshot, refundTotal } from '../../domain/ordering/refund.js';
import { saleDay, saleLinesOf } from '../../domain/sales/sales.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import { PRODUCT_LISTS, productNamespace } from '../catalog/product-view.js';
import type { EventType } from '../ports/outbox.js';
import type { OrderingContext } from './ordering-context.js';
import { orderView, refundView } from './views.js';

/**
 * The moves that finish an order one way or another, each giving back exactly what the order
 * took. Every method runs inside the caller's transaction, with the order already locked
 * (locks are taken order first, then stock by option id, then sales rows by product id, then
 * coupon, then wallet; placing an order, which none of these do, first takes the buyer's placing
 * lock when the unpaid-order cap is on, and no transaction here ever waits for that one).
 */
export class OrderSettlement {
  constructor(private readonly ctx: OrderingContext) {}

  /**
   * The gateway approved: the reserved stock leaves the shop, the coupon is used, the order is
   * paid. `heldPartsTakenAt` when the caller already did takeHeldParts(order, at) (to keep the
   * lock order: stock, sales and coupon before the wallet): the payment completes at that same
   * instant, so its sale counts on the day the payment says it completed.
   */
  async completePayment(order: Order, payment: Payment, options: { heldPartsTakenAt?: Date } = {}): Promise<Order> {
    const at = options.heldPartsTakenAt ?? this.ctx.clock.now();
    if (!options.heldPartsTakenAt) await this.takeHeldParts(order, at);
    order.confirmPayment(at);
    payment.reach('COMPLETED', at);
    await this.ctx.payments.save(payment);
    const saved = await this.ctx.orders.save(order);
    await this.record('PaymentCompleted', saved, payment);
    await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.payment('completed'));
    await this.invalidateStock(saved);
    return saved;
  }

  /**
   * The payment did not go through (declined, or never approved): the debited balance comes
   * back, the stock is released, the order FAILS.
   */
  async failPayment(order: Order, payment: Payment, reason: string): Promise<Order> {
    const at = this.ctx.clock.now();
    await this.ctx.stock.release(order.stockLines());
    await this.onCoupon(order, (copy) => copy.release(order.id));
    if (payment.amount > 0) {
      const wallet = await this.ctx.wallets.getForUpdate(order.userId);
      if (!wallet) throw new NotFound('Wallet of user', order.userId);
      wallet.refund(payment.amount, order.id, { actorId: null, at, reason: `payment ${payment.id} not approved: ${reason}` });
      await this.ctx.wallets.save(wallet);
    }
    order.fail(reason, at);
    payment.fail(reason, at);
    await this.ctx.payments.save(payment);
    const saved = await this.ctx.orders.save(order);
    await this.record('OrderFailed', saved, payment);
    await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.payment('declined'));
    await this.invalidateStock(saved);
    return saved;
  }

  /** An unpaid order is cancelled (by its buyer, or because its reservation ran out). */
  async releaseUnpaid(order: Order, how: { expired: true } | { expired: false; reason: string | null }): Promise<Order> {
    const at = this.ctx.clock.now();
    await this.ctx.stock.release(order.stockLines());
    await this.onCoupon(order, (copy) => copy.release(order.id));
    if (how.expired) order.expire(at);
    else order.cancel(how.reason, at);
    const saved = await this.ctx.orders.save(order);
    await this.record('OrderCancelled', saved, await this.ctx.payments.latestFor(saved.id));
    await this.ctx.transactions.afterCommit(async () => (how.expired ? this.ctx.metrics.orderExpired() : this.ctx.metrics.orderCancelled()));
    await this.invalidateStock(saved);
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
    await this.ctx.stock.returnSold(lines.map((l) => ({ optionId: l.optionId, quantity: l.quantity })));
    await this.ctx.sales.revert(saleDay(soldAt), saleLinesOf(lines));
    if (whole) await this.onCoupon(order, (copy) => copy.refund(order.id));
    if (amount > 0) {
      const wallet = await this.ctx.wallets.getForUpdate(order.userId);
      if (!wallet) throw new NotFound('Wallet of user', order.userId);
      wallet.refund(amount, order.id, { actorId, at, reason: reason ?? (whole ? 'refund' : 'partial refund') });
      await this.ctx.wallets.save(wallet);
    }
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
    order.recordRefund(refund, at);
    const saved = await this.ctx.orders.save(order);
    await this.ctx.outbox.add(
      { type: 'RefundCompleted', aggregateType: 'Order', aggregateId: saved.id, occurredAt: at, payload: refundView(refund) },
      ...(whole ? [{ type: 'OrderCancelled' as const, aggregateType: 'Order' as const, aggregateId: saved.id, occurredAt: at, payload: orderView(saved, payment) }] : []),
    );
    await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.refunded());
    await this.invalidateStock(saved);
    return refund;
  }

  /**
   * What a paid order keeps: its reserved stock is sold (and counted in the day's sales of each
   * product, the day being that of `at`, the payment's completion), its coupon used.
   */
  async takeHeldParts(order: Order, at: Date): Promise<void> {
    await this.ctx.stock.confirm(order.stockLines());
    await this.ctx.sales.record(saleDay(at), saleLinesOf(order.items));
    await this.onCoupon(order, (copy) => copy.use(order.id, at));
  }

  /** Moves the order's coupon, if it has one (locked after the stock and sales, before the wallet). */
  private async onCoupon(order: Order, move: (copy: UserCoupon) => void): Promise<void> {
    if (order.userCouponId === null) return;
    const copy = await this.ctx.userCoupons.getForUpdate(order.userCouponId);
    if (!copy) throw new NotFound('User coupon', order.userCouponId);
    move(copy);
    await this.ctx.userCoupons.save(copy);
  }

  private async record(type: EventType, order: Order, payment: Payment | null): Promise<void> {
    await this.ctx.outbox.add({
      type,
      aggregateType: 'Order',
      aggregateId: order.id,
      occurredAt: this.ctx.clock.now(),
      payload: orderView(order, payment),
    });
  }

  /** Buyers see stock through the catalog cache: after commit, drop what this order moved. */
  private async invalidateStock(order: Order): Promise<void> {
    const namespaces = [...new Set(order.items.map((i) => productNamespace(i.productId))), PRODUCT_LISTS];
    await this.ctx.transactions.afterCommit(() => this.ctx.cache.invalidate(...namespaces));
  }
}
