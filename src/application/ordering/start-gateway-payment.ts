import type { Payment } from '../../domain/ordering/payment.js';
import type { Actor } from '../../domain/user/actor.js';
import { moveInLockOrder, movedAggregates } from './lock-order.js';
import type { OrderingContext } from './ordering-context.js';
import { debitFor, openPayment } from './payment-steps.js';

/**
 * The first half of a payment through an external gateway, in its own transaction: the order is
 * locked, the wallet debited and the order set PENDING, the payment GATEWAY_REQUESTED. The
 * gateway is called after this commits, with no transaction open; SettleGatewayPayment settles
 * its answer (or the recovery job, if the answer is lost). InsufficientBalance changes nothing.
 */
export class StartGatewayPayment {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, orderId: number): Promise<Payment> {
    return this.ctx.transactions.run(async () => {
      const opened = await openPayment(this.ctx, actor, orderId);
      const { order, payment, at } = opened;
      payment.reach('LOCK_ACQUIRED', at);
      const moved = await moveInLockOrder(this.ctx, order, debitFor(opened, actor));
      payment.reach('DEBITED', at);
      payment.reach('GATEWAY_REQUESTED', this.ctx.clock.now());
      order.awaitGateway(this.ctx.clock.now());
      await this.ctx.payments.save(payment);
      await this.ctx.orders.save(order);
      await this.ctx.events.writeEventsOf(order, ...movedAggregates(moved));
      return payment;
    });
  }
}
