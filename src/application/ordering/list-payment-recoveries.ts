import type { RecoveryState } from '../../domain/ordering/payment.js';
import type { Page, PageRequest } from '../../domain/shared/page.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import { paymentRecoveryView, type PaymentRecoveryView } from './views.js';

/** ADMIN: every payment waiting for the gateway, or those of one recovery state; newest first. */
export class ListPaymentRecoveries {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(actor: Actor, query: PageRequest & { state?: RecoveryState }): Promise<Page<PaymentRecoveryView>> {
    assertRole(actor, 'ADMIN');
    const page = await this.ctx.payments.listInRecovery(query);
    return { ...page, items: page.items.map(paymentRecoveryView) };
  }
}
