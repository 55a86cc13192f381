import type { Order } from '../../domain/ordering/order.js';
import { Payment, type PaymentStep } from '../../domain/ordering/payment.js';
import { saleDay, saleLinesOf } from '../sales/published.js';
import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { GatewayPayment } from '../ports/payment-gateway.js';
import { type MovedParts, moveInLockOrder, movedAggregates, type OrderMoves } from './lock-order.js';
import type { OrderingContext } from './ordering-context.js';

/** The steps the payment use cases share: opening a payment, and what paying or not paying moves. */

export interface OpenedPayment {
  order: Order;
  payment: Payment;
  at: Date;
}

/** Locks the order (step 1 of the lock order), checks who pays (its buyer, or an ADMIN) and that it is still payable. */
async function lockPayableOrder(ctx: OrderingContext, actor: Actor, orderId: number): Promise<{ order: Order; at: Date }> {
  const at = ctx.clock.now();
  const order = await ctx.orders.getForUpdate(orderId);
  if (!order) throw new NotFound('Order', orderId);
  if (actor.role !== 'ADMIN' && order.userId !== actor.userId) throw new Forbidden('Only the order’s buyer may pay for it');
  order.assertPayable(at);
  return { order, at };
}

/**
 * Opens a payment on the order and debits the buyer's wallet, in the lock order together with what
 * else paying moves (`also`). InsufficientBalance when the wallet cannot pay; the caller's
 * transaction then rolls all of it back.
 *
 * The payment is written once, at the last of `steps` it passes in this transaction (no
 * insert-then-update). Its insert is not waited for before the moves: the stock, the day's sales
 * and the wallet's lock are sent right behind it and answered in the same round trip (the
 * statements of one connection run in the order they were sent, so the lock order holds). Only
 * the debit needs the payment's id, and by the time the wallet is locked the insert has answered.
 */
export async function openAndDebit(
  ctx: OrderingContext,
  actor: Actor,
  orderId: number,
  steps: readonly PaymentStep[],
  also: (order: Order, at: Date) => OrderMoves = () => ({}),
): Promise<OpenedPayment & { moved: MovedParts }> {
  const { order, at } = await lockPayableOrder(ctx, actor, orderId);
  const written = ctx.payments.add(Payment.startedThrough(steps, order.id, order.userId, order.finalAmount, at));
  const moving = moveInLockOrder(ctx, order, { ...also(order, at), ...debitFor(order, actor, at, written) });
  // Both are waited for to their end, so nothing of this transaction is still running when it
  // ends. The payment's failure is reported first: it was sent first, and what follows it then
  // fails only because it did.
  const [payment, moved] = await Promise.allSettled([written, moving]);
  if (payment.status === 'rejected') throw payment.reason;
  if (moved.status === 'rejected') throw moved.reason;
  return { order, payment: payment.value, at, moved: moved.value };
}

/** Saves the order (and `payment`, when it moved after it was written) and writes the events of all that moved. */
export async function saveWithEvents(ctx: OrderingContext, order: Order, moved: MovedParts, payment?: Payment): Promise<void> {
  if (payment) await ctx.payments.save(payment);
  await ctx.orders.save(order);
  await ctx.events.writeEventsOf(order, ...movedAggregates(moved));
}

/** The wallet pays the order (InsufficientBalance when it cannot); a fully discounted order costs nothing and moves no wallet. */
function debitFor(order: Order, actor: Actor, at: Date, written: Promise<Payment>): Pick<OrderMoves, 'wallet'> {
  if (order.finalAmount === 0) return {};
  return {
    wallet: async (wallet) => {
      const payment = await written;
      wallet.pay(order.finalAmount, order.id, { actorId: actor.userId, at, reason: `payment ${payment.id}` });
    },
  };
}

/** What a paid order keeps: its reserved stock is sold, counted in the day's sales (the day of `at`), its coupon used. */
export function keepWhatWasPaidFor(order: Order, at: Date): OrderMoves {
  return {
    stock: (stock) => stock.confirm(order.stockLines()),
    sales: (sales) => sales.record(saleDay(at), saleLinesOf(order.items)),
    coupon: (copy) => copy.use(order.id, at),
  };
}

/** A payment that did not go through: the stock and the coupon are released, a debited balance comes back. */
export function giveBackWhatWasHeld(order: Order, payment: Payment, reason: string, at: Date): OrderMoves {
  return {
    stock: (stock) => stock.release(order.stockLines()),
    coupon: (copy) => copy.release(order.id, at),
    ...(payment.amount > 0 ? { wallet: (wallet) => wallet.refund(payment.amount, order.id, { actorId: null, at, reason: `payment ${payment.id} not approved: ${reason}` }) } : {}),
  };
}

export const toGateway = (payment: Payment): GatewayPayment => ({
  paymentId: payment.id,
  orderId: payment.orderId,
  userId: payment.userId,
  amount: payment.amount,
});
