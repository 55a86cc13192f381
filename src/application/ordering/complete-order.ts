import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { orderOr404 } from './order-access.js';
import type { OrderingContext } from './ordering-context.js';
import { orderView, type OrderView } from './views.js';

export class CompleteOrder {
  constructor(private readonly ctx: OrderingContext) {}

  /** The buyer confirms the purchase of a delivered order; `OrderCompleted` goes to the outbox with it. */
  async execute(actor: Actor, orderId: number): Promise<OrderView> {
    const order = await orderOr404(this.ctx, orderId);
    if (order.userId !== actor.userId) throw new Forbidden('Only the order’s buyer may confirm the purchase');
    const { saved, payment } = await this.ctx.transactions.run(async () => {
      const locked = await this.ctx.orders.getForUpdate(orderId);
      if (!locked) throw new NotFound('Order', orderId);
      const latest = await this.ctx.payments.latestFor(orderId);
      locked.complete(this.ctx.clock.now(), latest);
      const completed = await this.ctx.orders.save(locked);
      await this.ctx.events.writeEventsOf(locked);
      return { saved: completed, payment: latest };
    });
    return orderView(saved, payment);
  }
}
