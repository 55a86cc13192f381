/**
 * What the order use cases share: loading an order (404 before 403), who may act on it as its
 * buyer, its completed payment, and how a caller sees an order or a list of them.
 */
import type { Order } from '../../domain/ordering/order.js';
import type { Payment } from '../../domain/ordering/payment.js';
import { Forbidden, InvalidState, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import type { OrderView, SellerOrderView } from './views.js';

export function assertOwnerOrAdmin(actor: Actor, order: Order, action: string): void {
  if (actor.role !== 'ADMIN' && order.userId !== actor.userId) throw new Forbidden(`Only the order’s buyer may ${action} it`);
}

/** Loads an order or answers 404; the permission check that follows decides 403. */
export async function orderOr404(ctx: OrderingContext, orderId: number): Promise<Order> {
  const order = await ctx.orders.get(orderId);
  if (!order) throw new NotFound('Order', orderId);
  return order;
}

export async function completedPaymentOf(ctx: OrderingContext, order: Order): Promise<Payment> {
  const payment = await ctx.payments.latestFor(order.id);
  if (!payment || !payment.isPaid()) throw new InvalidState(`Order ${order.id} has no completed payment`);
  return payment;
}

/** Whose orders a list holds, and so how they are shown (API.md "GET /orders"). */
export const ORDER_LIST_VIEWS = ['buyer', 'seller', 'all'] as const;
export type OrderListView = (typeof ORDER_LIST_VIEWS)[number];

/** What a caller sees of an order: the whole of it (its buyer, an ADMIN), or their own lines (a seller of some). */
export type OrderOrSellerOrderView = OrderView | SellerOrderView;
