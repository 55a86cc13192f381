import { Forbidden } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { orderOr404, type OrderOrSellerOrderView } from './order-access.js';
import type { OrderingContext } from './ordering-context.js';
import { orderView, sellerOrderView } from './views.js';

export class GetOrder {
  constructor(private readonly ctx: OrderingContext) {}

  /**
   * Its buyer and an ADMIN see the whole order; a seller of some of its items sees the order as
   * that seller (their lines only, never another seller's prices). Anyone else: 403.
   */
  async execute(actor: Actor, orderId: number): Promise<OrderOrSellerOrderView> {
    const order = await orderOr404(this.ctx, orderId);
    if (actor.role === 'ADMIN' || order.userId === actor.userId) return orderView(order, await this.ctx.payments.latestFor(order.id));
    if (order.isSoldBy(actor.userId)) return sellerOrderView(order, actor.userId);
    throw new Forbidden('This order is someone else’s');
  }
}
