import { PaymentDeclined } from '../../domain/ordering/errors.js';
import { Payment } from '../../domain/ordering/payment.js';
import { TooManyFailures } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { InsufficientBalance } from '../wallet/published.js';
import type { RunsAs } from '../idempotency/run-idempotently.js';
import { type OrderingContext, PAYMENT_FAILURES } from './ordering-context.js';
import { PayInternally } from './pay-internally.js';
import { toGateway } from './payment-steps.js';
import { SettleGatewayPayment } from './settle-gateway-payment.js';
import { StartGatewayPayment } from './start-gateway-payment.js';
import { paymentView, type PaymentView } from './views.js';

export interface PaymentOutcome {
  payment: PaymentView;
  /** False while the gateway's answer is unknown: the order is PENDING until recovery settles it. */
  settled: boolean;
}

/**
 * `POST /payments/process`: pays an order from the buyer's wallet through the payment gateway.
 * The internal gateway: PayInternally, one transaction. An external one: StartGatewayPayment
 * (debit, PENDING), the gateway called with no transaction open, then SettleGatewayPayment; a
 * lost answer leaves the order PENDING for the recovery job. Consecutive failures (no balance,
 * declined) block the payer for a while.
 */
export class PayForOrder implements RunsAs {
  private readonly payInternally: PayInternally;
  private readonly startGatewayPayment: StartGatewayPayment;
  private readonly settleGatewayPayment: SettleGatewayPayment;

  constructor(private readonly ctx: OrderingContext) {
    this.payInternally = new PayInternally(ctx);
    this.startGatewayPayment = new StartGatewayPayment(ctx);
    this.settleGatewayPayment = new SettleGatewayPayment(ctx);
  }

  /**
   * With the internal gateway a whole payment is one transaction, which the caller may fold into
   * its own (the idempotency record's); with an external one it opens its own around the call.
   */
  get transactional(): boolean {
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
        ? { payment: await this.payInternally.execute(actor, orderId), settled: true }
        : await this.payThroughGateway(actor, orderId);
      if (outcome.settled) await this.ctx.transactions.afterCommit(() => this.ctx.failures.reset(PAYMENT_FAILURES, payer));
      return outcome;
    } catch (error) {
      if (error instanceof InsufficientBalance) await this.recordRefusal(orderId, error);
      if (error instanceof InsufficientBalance || error instanceof PaymentDeclined) {
        await this.ctx.transactions.afterRollback(() => this.ctx.failures.recordFailure(PAYMENT_FAILURES, payer));
      }
      throw error;
    }
  }

  private async payThroughGateway(actor: Actor, orderId: number): Promise<PaymentOutcome> {
    const started = await this.startGatewayPayment.execute(actor, orderId);
    // No transaction and no lock is open across the network call.
    const answer = await this.ctx.gateway.request(toGateway(started)).catch((error: unknown) => {
      this.ctx.logger.warn('payment gateway call failed; the payment is pending', { paymentId: started.id, error: String(error) });
      return 'UNKNOWN' as const;
    });
    if (answer === 'UNKNOWN') {
      this.ctx.metrics.paymentPending();
      return { payment: paymentView(started), settled: false };
    }
    const { payment: settled } = await this.settleGatewayPayment.execute(orderId, started.id, answer === 'APPROVED' ? 'APPROVED' : 'NOT_APPROVED', 'DECLINED');
    // A late approval can find the payment already failed (a status query settled it first):
    // what counts is how it was settled, not what the gateway said last.
    if (settled.status !== 'COMPLETED') {
      throw new PaymentDeclined(`Payment ${started.id} was not approved; the order failed and its stock and balance were given back`);
    }
    return { payment: settled, settled: true };
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
}
