import type { FulfilmentStep, Order } from '../../domain/ordering/order.js';
import type { Payment } from '../../domain/ordering/payment.js';
import { assertCouponMinimumKept, assertLinesOf, planRefund, type RefundLine, type RefundRequestLine } from '../../domain/ordering/refund.js';
import type { OrderQuery } from '../../domain/ordering/repositories.js';
import { Forbidden, InvalidState, NotFound } from '../../domain/shared/errors.js';
import { type Page, type PageRequest } from '../../domain/shared/page.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderStatus } from '../../domain/ordering/order.js';
import type { OrderingContext } from './ordering-context.js';
import { OrderSettlement } from './settlement.js';
import { orderView, type OrderView, refundView, type RefundView } from './views.js';

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

export class GetOrder {
  constructor(private readonly ctx: OrderingContext) {}

  /** Its buyer, an ADMIN, or a seller of one of its items. */
  async execute(actor: Actor, orderId: number): Promise<OrderView> {
    const order = await orderOr404(this.ctx, orderId);
    if (actor.role !== 'ADMIN' && order.userId !== actor.userId && !order.isSoldBy(actor.userId)) {
      throw new Forbidden('This order is someone else’s');
    }
    return orderView(order, await this.ctx.payments.latestFor(order.id));
  }
}

export class ListOrders {
  constructor(private readonly ctx: OrderingContext) {}

  /** A buyer sees their own orders; an ADMIN sees everyone's. */
  async execute(actor: Actor, query: PageRequest & { status?: OrderStatus }): Promise<Page<OrderView>> {
    const scoped: OrderQuery = { ...query, ...(actor.role === 'ADMIN' ? {} : { userId: actor.userId }) };
    const page = await this.ctx.orders.list(scoped);
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
   * The seller of all the order's items, or an ADMIN, moves it one step towards delivery. One
   * status covers the whole order, so a seller of only some lines would move the others' too:
   * until fulfilment is per seller, an order with lines of several sellers is an ADMIN's to move.
   */
  async execute(actor: Actor, orderId: number, step: FulfilmentStep): Promise<OrderView> {
    if (actor.role === 'BUYER') throw new Forbidden('Only a seller of its items or an ADMIN may fulfil an order');
    const order = await orderOr404(this.ctx, orderId);
    if (actor.role !== 'ADMIN') {
      if (!order.isSoldBy(actor.userId)) throw new Forbidden('None of this order’s items is yours');
      if (!order.isSoldOnlyBy(actor.userId)) {
        throw new Forbidden(`Order ${orderId} has items of several sellers: mixed orders are fulfilled by an ADMIN for now`);
      }
    }
    const saved = await this.ctx.transactions.run(async () => {
      const locked = (await this.ctx.orders.getForUpdate(orderId)) as Order;
      locked.advanceFulfilment(step, this.ctx.clock.now());
      return this.ctx.orders.save(locked);
    });
    return orderView(saved, await this.ctx.payments.latestFor(orderId));
  }
}

export class CompleteOrder {
  constructor(private readonly ctx: OrderingContext) {}

  /** The buyer confirms the purchase of a delivered order. */
  async execute(actor: Actor, orderId: number): Promise<OrderView> {
    const order = await orderOr404(this.ctx, orderId);
    if (order.userId !== actor.userId) throw new Forbidden('Only the order’s buyer may confirm the purchase');
    const saved = await this.ctx.transactions.run(async () => {
      const locked = (await this.ctx.orders.getForUpdate(orderId)) as Order;
      locked.complete(this.ctx.clock.now());
      return this.ctx.orders.save(locked);
    });
    return orderView(saved, await this.ctx.payments.latestFor(orderId));
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
