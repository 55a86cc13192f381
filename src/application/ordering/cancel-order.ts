import type { Order } from '../../domain/ordering/order.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { assertOwnerOrAdmin, orderOr404 } from './order-access.js';
import type { OrderingContext } from './ordering-context.js';
import type { RefundOrder } from './refund-order.js';
import { OrderSettlement } from './settlement.js';
import { orderView, type OrderView } from './views.js';

export class CancelOrder {
  private readonly settle: OrderSettlement;

  constructor(
    private readonly ctx: OrderingContext,
    private readonly refunds: RefundOrder,
  ) {
    this.settle = new OrderSettlement(ctx);
  }

  /** Unpaid: the stock is released. Paid but not shipped: refunded first. Otherwise 409. */
  async execute(actor: Actor, orderId: number, reason: string | null): Promise<OrderView> {
    assertOwnerOrAdmin(actor, await orderOr404(this.ctx, orderId), 'cancel');
    const order = await this.ctx.transactions.run(async () => {
      const locked = await this.ctx.orders.getForUpdate(orderId);
      if (!locked) throw new NotFound('Order', orderId);
      if (locked.status === 'CREATED') return this.settle.releaseUnpaid(locked, { expired: false, reason });
      if (locked.isRefundable()) {
        await this.refunds.refundLocked(actor, orderId, reason);
        return (await this.ctx.orders.get(orderId)) as Order;
      }
      throw new InvalidState(`Order ${orderId} is ${locked.status}: it can no longer be cancelled`);
    });
    return orderView(order, await this.ctx.payments.latestFor(orderId));
  }
}
