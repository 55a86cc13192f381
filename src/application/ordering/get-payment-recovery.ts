import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { paymentSeenBy } from './payment-access.js';
import { paymentRecoveryView, type PaymentRecoveryView } from './views.js';

/** The buyer (or an ADMIN): where the recovery of one payment stands. */
export class GetPaymentRecovery {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, paymentId: number): Promise<PaymentRecoveryView> {
    return paymentRecoveryView(await paymentSeenBy(this.ctx, actor, paymentId));
  }
}
