import type { OrderStatus } from '../../domain/ordering/order.js';
import type { OrderQuery } from '../../domain/ordering/repositories.js';
import { Forbidden } from '../../domain/shared/errors.js';
import { type Page, type PageRequest } from '../../domain/shared/page.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderListView, OrderOrSellerOrderView } from './order-access.js';
import type { OrderingContext } from './ordering-context.js';
import { orderView, sellerOrderView } from './views.js';

export class ListOrders {
  constructor(private readonly ctx: OrderingContext) {}

  /**
   * `as=buyer`: the orders the caller placed (a BUYER's default). `as=seller`: the orders holding
   * the caller's products, each as that seller sees it (a SELLER's default; SELLER and ADMIN
   * only). `as=all`: everyone's orders, whole (an ADMIN's default; ADMIN only). Newest first,
   * ties by id.
   */
  async execute(actor: Actor, query: PageRequest & { status?: OrderStatus; as?: OrderListView }): Promise<Page<OrderOrSellerOrderView>> {
    const { as: requested, ...rest } = query;
    const view = requested ?? (actor.role === 'ADMIN' ? 'all' : actor.role === 'SELLER' ? 'seller' : 'buyer');
    if (view === 'all' && actor.role !== 'ADMIN') throw new Forbidden('Only an ADMIN lists everyone’s orders');
    if (view === 'seller' && actor.role === 'BUYER') throw new Forbidden('Only a SELLER (or an ADMIN) lists the orders of their products');
    const scoped: OrderQuery = { ...rest, ...(view === 'buyer' ? { userId: actor.userId } : view === 'seller' ? { sellerId: actor.userId } : {}) };
    const page = await this.ctx.orders.list(scoped);
    if (view === 'seller') return { ...page, items: page.items.map((o) => sellerOrderView(o, actor.userId)) };
    const payments = await this.ctx.payments.latestForEach(page.items.map((o) => o.id));
    return { ...page, items: page.items.map((o) => orderView(o, payments.get(o.id) ?? null)) };
  }
}
