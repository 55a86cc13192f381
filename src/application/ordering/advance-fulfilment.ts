import type { FulfilmentScope, FulfilmentStep } from '../../domain/ordering/order.js';
import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { orderOr404, type OrderOrSellerOrderView } from './order-access.js';
import type { OrderingContext } from './ordering-context.js';
import { orderView, sellerOrderView } from './views.js';

export class AdvanceFulfilment {
  constructor(private readonly ctx: OrderingContext) {}

  /**
   * One fulfilment step. A SELLER moves their own lines of the order (never another seller's); an
   * ADMIN moves every line that stands right before the step, or only `sellerId`'s lines. The
   * order's status follows from its lines (Order.advanceFulfilment). In one transaction, with the
   * order locked: the lines (each guarded by the status it was read in), the order, and the events
   * (`FulfilmentAdvanced` for each seller whose lines moved, and `OrderPreparing`, `OrderShipped`
   * or `OrderDelivered` when the order's status changed). Answers the order as the caller may see
   * it: whole to an ADMIN, as that seller sees it to a SELLER.
   */
  async execute(actor: Actor, orderId: number, step: FulfilmentStep, sellerId?: number): Promise<OrderOrSellerOrderView> {
    if (actor.role === 'BUYER') throw new Forbidden('Only a seller of its items or an ADMIN may fulfil an order');
    if (actor.role === 'SELLER' && sellerId !== undefined && sellerId !== actor.userId) {
      throw new Forbidden('A SELLER moves their own items only (leave `sellerId` out, or give your own)');
    }
    const order = await orderOr404(this.ctx, orderId);
    let scope: FulfilmentScope = 'ALL';
    if (actor.role !== 'ADMIN') {
      if (!order.isSoldBy(actor.userId)) throw new Forbidden('None of this order’s items is yours');
      scope = { sellerId: actor.userId };
    } else if (sellerId !== undefined) {
      if (!order.isSoldBy(sellerId)) throw new NotFound(`Items of seller ${sellerId} in order`, orderId);
      scope = { sellerId };
    }
    const { saved, payment } = await this.ctx.transactions.run(async () => {
      const locked = await this.ctx.orders.getForUpdate(orderId);
      if (!locked) throw new NotFound('Order', orderId);
      const at = this.ctx.clock.now();
      const latest = await this.ctx.payments.latestFor(orderId);
      const moved = locked.advanceFulfilment(step, at, scope, latest);
      const stepped = await this.ctx.orders.saveFulfilment(locked, moved);
      await this.ctx.events.writeEventsOf(locked);
      return { saved: stepped, payment: latest };
    });
    return actor.role === 'ADMIN' ? orderView(saved, payment) : sellerOrderView(saved, actor.userId);
  }
}
