import { NotFound } from '../../domain/shared/errors.js';
import { moveInLockOrder } from './lock-order.js';
import type { OrderingContext } from './ordering-context.js';
import { giveBackWhatWasHeld, keepWhatWasPaidFor, saveWithEvents } from './payment-steps.js';
import { paymentView, type PaymentView } from './views.js';

export type GatewayVerdict = 'APPROVED' | 'NOT_APPROVED';

/**
 * The second half of a payment through an external gateway: settles a PENDING order from the
 * gateway's word, in one transaction. Approved: the stock is sold, the sale counted, the coupon
 * used, the order CONFIRMED. Not approved: the stock and coupon are released, the debited balance
 * comes back, the order FAILS. Does nothing if someone settled it first (the order is no longer
 * PENDING), so it is safe to run from several places at once; `settledNow` says whether this call
 * did the settling (the recovery counts only those).
 */
export class SettleGatewayPayment {
  constructor(private readonly ctx: OrderingContext) {}

  async execute(orderId: number, paymentId: number, verdict: GatewayVerdict, reason: string): Promise<{ payment: PaymentView; settledNow: boolean }> {
    return this.ctx.transactions.run(async () => {
      const order = await this.ctx.orders.getForUpdate(orderId);
      const payment = await this.ctx.payments.get(paymentId);
      if (!order || !payment) throw new NotFound('Payment', paymentId);
      if (order.status !== 'PENDING' || payment.isSettled()) return { payment: paymentView(payment), settledNow: false };
      const at = this.ctx.clock.now();
      if (verdict === 'APPROVED') {
        const moved = await moveInLockOrder(this.ctx, order, keepWhatWasPaidFor(order, at));
        payment.reach('COMPLETED', at);
        order.confirmPayment(at, payment);
        await saveWithEvents(this.ctx, order, moved, payment);
        await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.payment('completed'));
      } else {
        const moved = await moveInLockOrder(this.ctx, order, giveBackWhatWasHeld(order, payment, reason, at));
        payment.fail(reason, at);
        order.fail(reason, at, payment);
        await saveWithEvents(this.ctx, order, moved, payment);
        await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.payment('declined'));
      }
      return { payment: paymentView(payment), settledNow: true };
    });
  }
}
