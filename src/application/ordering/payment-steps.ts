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

type BuyerWallet = NonNullable<Awaited<ReturnType<OrderingContext['wallets']['getForUpdate']>>>;

/**
 * Locks the order (step 1 of the lock order), checks who pays (its buyer, or an ADMIN) and that it
 * is still payable. A buyer pays from their own wallet, so theirs (step 2) is locked in the same
 * round trip, sent right behind the order's lock; when the order turns out not to be theirs, or
 * not payable, the transaction rolls back and the lock goes with it. An ADMIN's own wallet is
 * not the one that pays: the buyer's is locked once the order says whose it is.
 */
async function lockPayableOrder(ctx: OrderingContext, actor: Actor, orderId: number): Promise<{ order: Order; at: Date; wallet: BuyerWallet | null }> {
  const at = ctx.clock.now();
  const [locked, buyers] = await Promise.allSettled([
    ctx.orders.getForUpdate(orderId),
    actor.role === 'ADMIN' ? Promise.resolve(null) : ctx.wallets.getForUpdate(actor.userId),
  ]);
  if (locked.status === 'rejected') throw locked.reason;
  if (buyers.status === 'rejected') throw buyers.reason;
  const order = locked.value;
  if (!order) throw new NotFound('Order', orderId);
  if (actor.role !== 'ADMIN' && order.userId !== actor.userId) throw new Forbidden('Only the order’s buyer may pay for it');
  order.assertPayable(at);
  return { order, at, wallet: buyers.value };
}

/**
 * Opens a payment on the order and debits the buyer's wallet, in the lock order together with what
 * else paying moves (`also`). InsufficientBalance when the wallet cannot pay; the caller's
 * transaction then rolls all of it back, before anything but the order and the wallet was locked.
 *
 * The payment is written once, at the last of `steps` it passes in this transaction (no
 * insert-then-update), numbered ahead (its id is in the debit's ledger line), so nothing after
 * the locks waits for an answer: the payment, the debit, the stock and the day's sales are sent
 * one behind the other and ride, with the order's save and its event, on COMMIT's round trip.
 */
export async function openAndDebit(
  ctx: OrderingContext,
  actor: Actor,
  orderId: number,
  steps: readonly PaymentStep[],
  also: (order: Order, at: Date) => OrderMoves = () => ({}),
): Promise<OpenedPayment & { moved: MovedParts }> {
  const { order, at, wallet } = await lockPayableOrder(ctx, actor, orderId);
  const payment = await ctx.payments.add(Payment.startedThrough(steps, order.id, order.userId, order.finalAmount, at));
  const moved = await moveInLockOrder(ctx, order, { ...also(order, at), ...debitFor(order, actor, at, payment) }, wallet);
  return { order, payment, at, moved };
}

/** Saves the order (and `payment`, when it moved after it was written) and writes the events of all that moved. */
export async function saveWithEvents(ctx: OrderingContext, order: Order, moved: MovedParts, payment?: Payment): Promise<void> {
  if (payment) await ctx.payments.save(payment);
  await ctx.orders.save(order);
  await ctx.events.writeEventsOf(order, ...movedAggregates(moved));
}

/** The wallet pays the order (InsufficientBalance when it cannot); a fully discounted order costs nothing and moves no wallet. */
function debitFor(order: Order, actor: Actor, at: Date, payment: Payment): Pick<OrderMoves, 'wallet'> {
  if (order.finalAmount === 0) return {};
  return {
    wallet: (wallet) => wallet.pay(order.finalAmount, order.id, { actorId: actor.userId, at, reason: `payment ${payment.id}` }),
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
