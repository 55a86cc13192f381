import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { paymentSeenBy } from './payment-access.js';
import { paymentView, type PaymentView } from './views.js';

export class GetPayment {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, paymentId: number): Promise<PaymentView> {
    return paymentView(await paymentSeenBy(this.ctx, actor, paymentId));
  }
}
