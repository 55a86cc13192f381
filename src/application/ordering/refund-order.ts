import type { Order } from '../../domain/ordering/order.js';
import { assertCouponMinimumKept, assertLinesOf, planRefund, type RefundLine, type RefundRequestLine } from '../../domain/ordering/refund.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { assertOwnerOrAdmin, completedPaymentOf, orderOr404 } from './order-access.js';
import type { OrderingContext } from './ordering-context.js';
import { OrderSettlement } from './settlement.js';
import { refundView, type RefundView } from './views.js';

export class RefundOrder {
  private readonly settle: OrderSettlement;

  constructor(private readonly ctx: OrderingContext) {
    this.settle = new OrderSettlement(ctx);
  }

  /**
   * A paid order not yet shipped: the whole of it (`items` null: every unit not refunded yet),
   * or some units of some lines. Balance and stock come back for those units; the coupon when
   * the last unit does (DOMAIN.md "Refunds").
   */
  async execute(actor: Actor, orderId: number, reason: string | null, items: readonly RefundRequestLine[] | null = null): Promise<RefundView> {
    assertOwnerOrAdmin(actor, await orderOr404(this.ctx, orderId), 'refund');
    return refundView(await this.ctx.transactions.run(() => this.refundLocked(actor, orderId, reason, items)));
  }

  /** Inside a transaction: locks the order, reads it afresh and refunds it (or those units). */
  async refundLocked(actor: Actor, orderId: number, reason: string | null, items: readonly RefundRequestLine[] | null = null) {
    const order = await this.ctx.orders.getForRefund(orderId);
    if (!order) throw new NotFound('Order', orderId);
    if (items) assertLinesOf(order.id, order.items, items);
    if (!order.isRefundable()) {
      if (order.status === 'CANCELLED' && order.refunds.length > 0) throw new InvalidState(`Order ${orderId} was refunded already`);
      throw new InvalidState(`Order ${orderId} is ${order.status}: only a CONFIRMED or PREPARING order can be refunded`);
    }
    const plan = planRefund(order.id, order.items, items);
    // Goods that left their seller come back through a return (not built), not a refund.
    const shipped = order.items.filter((i) => plan.some((l) => l.orderItemId === i.id && l.quantity > 0) && (i.status === 'SHIPPED' || i.status === 'DELIVERED'));
    if (shipped.length > 0) {
      throw new InvalidState(`Order ${orderId}: ${shipped.map((i) => `order item ${i.id}`).join(', ')} ${shipped.length === 1 ? 'has' : 'have'} shipped, so ${shipped.length === 1 ? 'it' : 'they'} can no longer be refunded`);
    }
    if (!order.isWhollyRefundedBy(plan)) await this.assertCouponKept(order, plan);
    return this.settle.refund(order, await completedPaymentOf(this.ctx, order), plan, reason, actor.userId);
  }

  /**
   * A partial refund must not leave the buyer a discount their coupon would not have given to
   * what they keep: the lines the coupon covers, as kept, must still reach its minimum (or be
   * refunded altogether).
   */
  private async assertCouponKept(order: Order, plan: readonly RefundLine[]): Promise<void> {
    if (order.userCouponId === null || order.toSnapshot().discountAmount === 0) return;
    const copy = await this.ctx.userCoupons.get(order.userCouponId);
    const coupon = copy ? await this.ctx.coupons.get(copy.couponId) : null;
    if (!coupon) return;
    const terms = coupon.toSnapshot();
    assertCouponMinimumKept(order.id, order.items, plan, { sellerId: terms.sellerId, minOrderAmount: terms.minOrderAmount });
  }
}
