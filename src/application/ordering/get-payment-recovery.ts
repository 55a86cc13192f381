import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { paymentRecoveryView, type PaymentRecoveryView } from './views.js';

/** The buyer (or an ADMIN): where the recovery of one payment stands. */
export class GetPaymentRecovery {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, paymentId: number): Promise<PaymentRecoveryView> {
    const payment = await this.ctx.payments.get(paymentId);
    if (!payment) throw new NotFound('Payment', paymentId);
    if (actor.role !== 'ADMIN' && payment.userId !== actor.userId) throw new Forbidden('This payment is someone else’s');
    return paymentRecoveryView(payment);
  }
}
