import type { FulfilmentScope, FulfilmentStep, Order } from '../../domain/ordering/order.js';
import type { Payment } from '../../domain/ordering/payment.js';
import { assertCouponMinimumKept, assertLinesOf, planRefund, type RefundLine, type RefundRequestLine } from '../../domain/ordering/refund.js';
import type { OrderQuery } from '../../domain/ordering/repositories.js';
import { Forbidden, InvalidState, NotFound } from '../../domain/shared/errors.js';
import { type Page, type PageRequest } from '../../domain/shared/page.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderStatus } from '../../domain/ordering/order.js';
import type { OrderingContext } from './ordering-context.js';
import { OrderSettlement } from './settlement.js';
import { orderView, type OrderView, refundView, type RefundView, sellerOrderView, type SellerOrderView } from './views.js';

function assertOwnerOrAdmin(actor: Actor, order: Order, action: string): void {
  if (actor.role !== 'ADMIN' && order.userId !== actor.userId) throw new Forbidden(`Only the order’s buyer may ${action} it`);
}

/** Loads an order or answers 404; the permission check that follows decides 403. */
async function orderOr404(ctx: OrderingContext, orderId: number): Promise<Order> {
  const order = await ctx.orders.get(orderId);
  if (!order) throw new NotFound('Order', orderId);
  return order;
}

async function completedPaymentOf(ctx: OrderingContext, order: Order): Promise<Payment> {
  const payment = await ctx.payments.latestFor(order.id);
  if (!payment || !payment.isPaid()) throw new InvalidState(`Order ${order.id} has no completed payment`);
  return payment;
}

/** Whose orders a list holds, and so how they are shown (API.md "GET /orders"). */
export const ORDER_LIST_VIEWS = ['buyer', 'seller', 'all'] as const;
export type OrderListView = (typeof ORDER_LIST_VIEWS)[number];

/** What a caller sees of an order: the whole of it (its buyer, an ADMIN), or their own lines (a seller of some). */
export type OrderOrSellerOrderView = OrderView | SellerOrderView;

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

export class ExpireReservations {
  private readonly settle: OrderSettlement;

  constructor(private readonly ctx: OrderingContext) {
    this.settle = new OrderSettlement(ctx);
  }

  /**
   * The sweeper: cancels unpaid orders whose reservation ran out and releases their stock, one
   * order per transaction. Each takes its order with FOR UPDATE SKIP LOCKED, so several sweepers
   * share the work, each order is cancelled exactly once, and no sweeper ever holds one order's
   * stock while waiting for another's (lock order stays order, then stock). An order that cannot
   * be settled is logged and left for the next run, never blocking the others. Returns how many
   * it cancelled.
   */
  async execute(batch = 100): Promise<number> {
    const skipped: number[] = [];
    let cancelled = 0;
    while (cancelled + skipped.length < batch) {
      let current: number | null = null;
      try {
        const done = await this.ctx.transactions.run(async () => {
          const [order] = await this.ctx.orders.lockExpired(this.ctx.clock.now(), 1, skipped);
          if (!order) return false;
          current = order.id;
          await this.settle.releaseUnpaid(order, { expired: true });
          return true;
        });
        if (!done) break;
        cancelled += 1;
      } catch (error) {
        if (current === null) throw error;
        skipped.push(current);
        this.ctx.logger.error('the sweeper could not cancel an expired order; will retry', { orderId: current, error: String(error) });
      }
    }
    return cancelled;
  }
}
