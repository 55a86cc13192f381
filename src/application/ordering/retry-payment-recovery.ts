import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { paymentRecoveryView, type PaymentRecoveryView } from './views.js';

/** How often a retry re-reads a payment whose bookkeeping the job moved under it. */
const RETRY_READS = 3;

/**
 * ADMIN: puts a payment that waits for the gateway back into automatic recovery, attempts from 0,
 * due at once. Meant for payments handed to an operator; allowed for automatic ones (to have them
 * asked now). A settled payment is INVALID_STATE.
 */
export class RetryPaymentRecovery {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, paymentId: number): Promise<PaymentRecoveryView> {
    assertRole(actor, 'ADMIN');
    for (let read = 1; ; read += 1) {
      const payment = await this.ctx.payments.get(paymentId);
      if (!payment) throw new NotFound('Payment', paymentId);
      const { state, attempts } = payment.recovery;
      payment.resumeRecovery(this.ctx.clock.now());
      // Guarded like the job's write: a job that counted an attempt meanwhile makes us read again.
      if (state !== null && (await this.ctx.payments.saveRecovery(payment, { state, attempts }))) {
        this.ctx.logger.info('payment put back into automatic recovery by an operator', {
          paymentId,
          orderId: payment.orderId,
          operatorId: actor.userId,
          previousState: state,
          previousAttempts: attempts,
        });
        return paymentRecoveryView(payment);
      }
      if (read >= RETRY_READS) throw new InvalidState(`Payment ${paymentId} is being recovered right now; retry it once that ends`);
    }
  }
}
