import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { keepWhatWasPaidFor, openAndDebit, saveWithEvents, toGateway } from './payment-steps.js';
import { paymentView, type PaymentView } from './views.js';

/**
 * Pays an order with the internal gateway, whose answer is part of the transaction: in one
 * transaction (the caller's, when one is open: the idempotency record's), the order is locked,
 * the wallet debited, its coupon used, its stock sold and its sale counted, in the lock order,
 * and the order is CONFIRMED. InsufficientBalance rolls all of it back.
 */
export class PayInternally {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, orderId: number): Promise<PaymentView> {
    return this.ctx.transactions.run(async () => {
      // Written COMPLETED at once: the debit and the internal gateway's answer are part of this
      // transaction, so either all of it commits or none. It completes at the instant its sale
      // is counted: the day it says it completed.
      const { order, payment, at, moved } = await openAndDebit(this.ctx, actor, orderId, ['VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'COMPLETED'], keepWhatWasPaidFor);
      const answer = await this.ctx.gateway.request(toGateway(payment));
      if (answer !== 'APPROVED') throw new Error(`the internal gateway answered ${answer}`);
      order.confirmPayment(at, payment);
      await saveWithEvents(this.ctx, order, moved);
      await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.payment('completed'));
      return paymentView(payment);
    });
  }
}
