import type { UserCoupon } from '../../domain/coupon/user-coupon.js';
import type { Order } from '../../domain/ordering/order.js';
import type { Payment } from '../../domain/ordering/payment.js';
import { type RefundLine, type RefundSnapshot, refundTotal } from '../../domain/ordering/refund.js';
import { saleDay, saleLinesOf } from '../../domain/sales/sales.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import { PRODUCT_LISTS, productNamespace } from '../catalog/product-view.js';
import type { RecordsEvents } from '../../domain/shared/domain-event.js';
import type { ShopEvent } from '../outbox/integration-events.js';
import type { OrderingContext } from './ordering-context.js';

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
    const copy = options.heldPartsTakenAt ? null : await this.takeHeldParts(order, at);
    payment.reach('COMPLETED', at);
    order.confirmPayment(at, payment);
    await this.ctx.payments.save(payment);
    const saved = await this.ctx.orders.save(order);
    await this.ctx.events.writeEventsOf(order, ...(copy ? [copy] : []));
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
    const copy = await this.onCoupon(order, (c) => c.release(order.id, at));
    const wallet = payment.amount > 0 ? await this.creditBack(order, payment.amount, { actorId: null, at, reason: `payment ${payment.id} not approved: ${reason}` }) : null;
    payment.fail(reason, at);
    order.fail(reason, at, payment);
    await this.ctx.payments.save(payment);
    const saved = await this.ctx.orders.save(order);
    await this.ctx.events.writeEventsOf(order, ...present(copy, wallet));
    await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.payment('declined'));
    await this.invalidateStock(saved);
    return saved;
  }

  /** An unpaid order is cancelled (by its buyer, or because its reservation ran out). */
  async releaseUnpaid(order: Order, how: { expired: true } | { expired: false; reason: string | null }): Promise<Order> {
    const at = this.ctx.clock.now();
    await this.ctx.stock.release(order.stockLines());
    const copy = await this.onCoupon(order, (c) => c.release(order.id, at));
    // A refused attempt (no balance) leaves a FAILED payment on an order that is still unpaid.
    const latest = await this.ctx.payments.latestFor(order.id);
    if (how.expired) order.expire(at, latest);
    else order.cancel(how.reason, at, latest);
    const saved = await this.ctx.orders.save(order);
    await this.ctx.events.writeEventsOf(order, ...present(copy));
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
    const copy = whole ? await this.onCoupon(order, (c) => c.refund(order.id, at)) : null;
    const wallet = amount > 0 ? await this.creditBack(order, amount, { actorId, at, reason: reason ?? (whole ? 'refund' : 'partial refund') }) : null;
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
    const saved = await this.ctx.orders.save(order);
    await this.ctx.events.writeEventsOf(order, ...present(copy, wallet));
    await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.refunded());
    await this.invalidateStock(saved);
    return refund;
  }

  /**
   * What a paid order keeps: its reserved stock is sold (and counted in the day's sales of each
   * product, the day being that of `at`, the payment's completion), its coupon used.
   */
  async takeHeldParts(order: Order, at: Date): Promise<UserCoupon | null> {
    await this.ctx.stock.confirm(order.stockLines());
    await this.ctx.sales.record(saleDay(at), saleLinesOf(order.items));
    return this.onCoupon(order, (copy) => copy.use(order.id, at));
  }

  /** Moves the order's coupon, if it has one (locked after the stock and sales, before the wallet), and answers it. */
  private async onCoupon(order: Order, move: (copy: UserCoupon) => void): Promise<UserCoupon | null> {
    if (order.userCouponId === null) return null;
    const copy = await this.ctx.userCoupons.getForUpdate(order.userCouponId);
    if (!copy) throw new NotFound('User coupon', order.userCouponId);
    move(copy);
    await this.ctx.userCoupons.save(copy);
    return copy;
  }

  /** Gives `amount` back to the buyer's balance (the wallet is locked last: the lock order) and answers the wallet. */
  private async creditBack(order: Order, amount: number, change: { actorId: number | null; at: Date; reason: string }): Promise<RecordsEvents<ShopEvent>> {
    const wallet = await this.ctx.wallets.getForUpdate(order.userId);
    if (!wallet) throw new NotFound('Wallet of user', order.userId);
    wallet.refund(amount, order.id, change);
    await this.ctx.wallets.save(wallet);
    return wallet;
  }

  /** Buyers see stock through the catalog cache: after commit, drop what this order moved. */
  private async invalidateStock(order: Order): Promise<void> {
    const namespaces = [...new Set(order.items.map((i) => productNamespace(i.productId))), PRODUCT_LISTS];
    await this.ctx.transactions.afterCommit(() => this.ctx.cache.invalidate(...namespaces));
  }
}

/** The aggregates that were there to move. */
function present(...aggregates: (RecordsEvents<ShopEvent> | null)[]): RecordsEvents<ShopEvent>[] {
  return aggregates.filter((a): a is RecordsEvents<ShopEvent> => a !== null);
}
