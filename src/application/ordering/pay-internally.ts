import type { Actor } from '../../domain/user/actor.js';
import { moveInLockOrder, movedAggregates } from './lock-order.js';
import type { OrderingContext } from './ordering-context.js';
import { debitFor, keepWhatWasPaidFor, openPayment, toGateway } from './payment-steps.js';
import { paymentView, type PaymentView } from './views.js';

/**
 * Pays an order with the internal gateway, whose answer is part of the transaction: in one
 * transaction (the caller's, when one is open: the idempotency record's), the order is locked,
 * its stock sold, its sale counted, its coupon used and the wallet debited, in the lock order,
 * and the order is CONFIRMED. InsufficientBalance rolls all of it back.
 */
export class PayInternally {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, orderId: number): Promise<PaymentView> {
    return this.ctx.transactions.run(async () => {
      const opened = await openPayment(this.ctx, actor, orderId);
      const { order, payment, at } = opened;
      payment.reach('LOCK_ACQUIRED', at);
      const moved = await moveInLockOrder(this.ctx, order, { ...keepWhatWasPaidFor(order, at), ...debitFor(opened, actor) });
      payment.reach('DEBITED', at);
      const answer = await this.ctx.gateway.request(toGateway(payment));
      if (answer !== 'APPROVED') throw new Error(`the internal gateway answered ${answer}`);
      // The payment completes at the instant its sale was counted: the day it says it completed.
      payment.reach('COMPLETED', at);
      order.confirmPayment(at, payment);
      await this.ctx.payments.save(payment);
      await this.ctx.orders.save(order);
      await this.ctx.events.writeEventsOf(order, ...movedAggregates(moved));
      await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.payment('completed'));
      return paymentView(payment);
    });
  }
}
