import type { Payment } from '../../domain/ordering/payment.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { openAndDebit, saveWithEvents } from './payment-steps.js';

/**
 * The first half of a payment through an external gateway, in its own transaction: the order is
 * locked, the wallet debited and the order set PENDING, the payment GATEWAY_REQUESTED. The
 * gateway is called after this commits, with no transaction open; SettleGatewayPayment settles
 * its answer (or the recovery job, if the answer is lost). InsufficientBalance changes nothing.
 */
export class StartGatewayPayment {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, orderId: number): Promise<Payment> {
    // Written once, waiting for the gateway: the debit is part of the same transaction.
    const steps = ['VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'GATEWAY_REQUESTED'] as const;
    return this.ctx.transactions.run(async () => {
      const { order, payment, at, moved } = await openAndDebit(this.ctx, actor, orderId, steps);
      order.awaitGateway(at);
      await saveWithEvents(this.ctx, order, moved);
      return payment;
    });
  }
}
