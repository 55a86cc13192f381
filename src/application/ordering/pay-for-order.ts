import { PaymentDeclined } from '../../domain/ordering/errors.js';
import type { Order } from '../../domain/ordering/order.js';
import { Payment } from '../../domain/ordering/payment.js';
import { Forbidden, NotFound, TooManyFailures } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { InsufficientBalance } from '../../domain/wallet/errors.js';
import type { RecordsEvents } from '../../domain/shared/domain-event.js';
import type { ShopEvent } from '../outbox/integration-events.js';
import type { GatewayPayment } from '../ports/payment-gateway.js';
import { type OrderingContext, PAYMENT_FAILURES } from './ordering-context.js';
import { OrderSettlement } from './settlement.js';
import { paymentView, type PaymentView } from './views.js';

export interface PaymentOutcome {
  payment: PaymentView;
  /** False while the gateway's answer is unknown: the order is PENDING until recovery settles it. */
  settled: boolean;
}

function assertPays(actor: Actor, order: Order): void {
  if (actor.role !== 'ADMIN' && order.userId !== actor.userId) throw new Forbidden('Only the order’s buyer may pay for it');
}

const toGateway = (payment: Payment): GatewayPayment => ({
  paymentId: payment.id,
  orderId: payment.orderId,
  userId: payment.userId,
  amount: payment.amount,
});

/**
 * Pays an order from the buyer's wallet through the payment gateway. With the internal gateway
 * everything is one transaction. With an external one: the wallet is debited and the order set
 * PENDING in a first transaction, the gateway is called with no transaction open, and a second
 * transaction settles the answer; a lost answer leaves the order PENDING for recovery.
 */
export class PayForOrder {
  private readonly settle: OrderSettlement;

  constructor(private readonly ctx: OrderingContext) {
    this.settle = new OrderSettlement(ctx);
  }

  /** Whether a whole payment is one transaction (so a caller may fold it into its own). */
  get settlesInOneTransaction(): boolean {
    return this.ctx.gateway.settlesInTransaction;
  }

  /**
   * Consecutive failed payments block a user's payments for a while. Asked apart from execute()
   * so that no transaction is open during the (Redis) call.
   */
  async admit(actor: Actor): Promise<void> {
    const blockedFor = await this.ctx.failures.blockedFor(PAYMENT_FAILURES, String(actor.userId));
    if (blockedFor > 0) throw new TooManyFailures(blockedFor, 'Too many failed payments; try again later');
  }

  async execute(actor: Actor, orderId: number): Promise<PaymentOutcome> {
    // Failures are counted once whatever transaction the caller has open is over.
    const payer = String(actor.userId);
    try {
      const outcome = this.ctx.gateway.settlesInTransaction
        ? await this.payInOneTransaction(actor, orderId)
        : await this.payThroughGateway(actor, orderId);
      if (outcome.settled) await this.ctx.transactions.afterCommit(() => this.ctx.failures.reset(PAYMENT_FAILURES, payer));
      return outcome;
    } catch (error) {
      if (error instanceof InsufficientBalance || error instanceof PaymentDeclined) {
        await this.ctx.transactions.afterRollback(() => this.ctx.failures.recordFailure(PAYMENT_FAILURES, payer));
      }
      throw error;
    }
  }

  private async payInOneTransaction(actor: Actor, orderId: number): Promise<PaymentOutcome> {
    try {
      return await this.ctx.transactions.run(async () => {
        const { order, payment, at, changed } = await this.debit(actor, orderId, { takeHeldParts: true });
        const gateway = await this.ctx.gateway.request(toGateway(payment));
        if (gateway !== 'APPROVED') throw new Error(`the internal gateway answered ${gateway}`);
        await this.settle.completePayment(order, payment, { heldPartsTakenAt: at });
        await this.ctx.events.writeEventsOf(...changed);
        return { payment: paymentView(payment), settled: true };
      });
    } catch (error) {
      if (error instanceof InsufficientBalance) await this.recordRefusal(orderId, error);
      throw error;
    }
  }

  private async payThroughGateway(actor: Actor, orderId: number): Promise<PaymentOutcome> {
    let debited: { payment: Payment };
    try {
      debited = await this.ctx.transactions.run(async () => {
        const { order, payment, changed } = await this.debit(actor, orderId);
        payment.reach('GATEWAY_REQUESTED', this.ctx.clock.now());
        order.awaitGateway(this.ctx.clock.now());
        await this.ctx.payments.save(payment);
        await this.ctx.orders.save(order);
        await this.ctx.events.writeEventsOf(order, ...changed);
        return { payment };
      });
    } catch (error) {
      if (error instanceof InsufficientBalance) await this.recordRefusal(orderId, error);
      throw error;
    }
    // No transaction and no lock is open across the network call.
    const answer = await this.ctx.gateway.request(toGateway(debited.payment)).catch((error: unknown) => {
      this.ctx.logger.warn('payment gateway call failed; the payment is pending', { paymentId: debited.payment.id, error: String(error) });
      return 'UNKNOWN' as const;
    });
    if (answer === 'UNKNOWN') {
      this.ctx.metrics.paymentPending();
      return { payment: paymentView(debited.payment), settled: false };
    }
    const { payment: settled } = await this.settlePending(orderId, debited.payment.id, answer === 'APPROVED' ? 'APPROVED' : 'NOT_APPROVED', 'DECLINED');
    // A late approval can find the payment already failed (a status query settled it first):
    // what counts is how it was settled, not what the gateway said last.
    if (settled.status !== 'COMPLETED') {
      throw new PaymentDeclined(`Payment ${debited.payment.id} was not approved; the order failed and its stock and balance were given back`);
    }
    return { payment: settled, settled: true };
  }

  /**
   * Locks the order, checks who pays and that it is still payable, and debits the wallet. With
   * `takeHeldParts` (one-transaction payments) the stock is confirmed, the sale recorded and the
   * coupon used before the wallet is locked: every transaction takes order, then stock, then
   * sales, then coupon, then wallet, or two of them can deadlock (a payment and a refund of the
   * same buyer on the same options did). Throws InsufficientBalance with nothing changed.
   */
  private async debit(
    actor: Actor,
    orderId: number,
    options: { takeHeldParts?: boolean } = {},
  ): Promise<{ order: Order; payment: Payment; at: Date; changed: RecordsEvents<ShopEvent>[] }> {
    const at = this.ctx.clock.now();
    const order = await this.ctx.orders.getForUpdate(orderId);
    if (!order) throw new NotFound('Order', orderId);
    assertPays(actor, order);
    order.assertPayable(at);
    const copy = options.takeHeldParts ? await this.settle.takeHeldParts(order, at) : null;
    const payment = await this.ctx.payments.add(Payment.start(order.id, order.userId, order.finalAmount, at));
    payment.reach('VALIDATING', at);
    const wallet = await this.ctx.wallets.getForUpdate(order.userId);
    if (!wallet) throw new NotFound('Wallet of user', order.userId);
    payment.reach('LOCK_ACQUIRED', at);
    // A fully discounted order costs nothing: no debit, no ledger row.
    if (order.finalAmount > 0) {
      wallet.pay(order.finalAmount, order.id, { actorId: actor.userId, at, reason: `payment ${payment.id}` });
      await this.ctx.wallets.save(wallet);
    }
    payment.reach('DEBITED', at);
    // The order's own events are written by whoever finishes it; the coupon's and the wallet's here.
    return { order, payment, at, changed: copy ? [copy, wallet] : [wallet] };
  }

  /**
   * A payment refused for want of balance leaves the order as it was, but is on record (as a
   * FAILED attempt, written once the refusing transaction is over). Best effort: the record must
   * never replace the refusal the buyer is owed, e.g. when another attempt paid the order since.
   */
  private async recordRefusal(orderId: number, error: InsufficientBalance): Promise<void> {
    await this.ctx.transactions.afterRollback(async () => {
      this.ctx.metrics.payment('insufficient_balance');
      try {
        await this.ctx.transactions.run(async () => {
          const order = await this.ctx.orders.get(orderId);
          if (!order || order.status !== 'CREATED') return;
          await this.ctx.payments.add(Payment.refused(order.id, order.userId, order.finalAmount, `INSUFFICIENT_BALANCE: ${error.message}`, this.ctx.clock.now()));
        });
      } catch (recordError) {
        this.ctx.logger.warn('could not record a refused payment', { orderId, error: String(recordError) });
      }
    });
  }

  /**
   * Settles a PENDING order from the gateway's word: approved completes it, not approved gives
   * everything back. Does nothing if someone else settled it first (the order is no longer
   * PENDING), so it is safe to run from several places at once; `settledNow` says whether this
   * call did the settling (the recovery counts only those).
   */
  async settlePending(
    orderId: number,
    paymentId: number,
    status: 'APPROVED' | 'NOT_APPROVED',
    reason: string,
  ): Promise<{ payment: PaymentView; settledNow: boolean }> {
    return this.ctx.transactions.run(async () => {
      const order = await this.ctx.orders.getForUpdate(orderId);
      const payment = await this.ctx.payments.get(paymentId);
      if (!order || !payment) throw new NotFound('Payment', paymentId);
      if (order.status !== 'PENDING' || payment.isSettled()) return { payment: paymentView(payment), settledNow: false };
      if (status === 'APPROVED') await this.settle.completePayment(order, payment);
      else await this.settle.failPayment(order, payment, reason);
      return { payment: paymentView(payment), settledNow: true };
    });
  }
}
