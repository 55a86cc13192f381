import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { refundView, type RefundView } from './views.js';

/** One refund, to those who may see its order: its buyer, a seller of one of its lines, an ADMIN. */
export class GetRefund {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, refundId: number): Promise<RefundView> {
    const refund = await this.ctx.refunds.get(refundId);
    if (!refund) throw new NotFound('Refund', refundId);
    const order = await this.ctx.orders.get(refund.orderId);
    if (!order) throw new NotFound('Order', refund.orderId);
    if (actor.role !== 'ADMIN' && order.userId !== actor.userId && !order.isSoldBy(actor.userId)) {
      throw new Forbidden('This refund is someone else’s');
    }
    return refundView(refund);
  }
}
