import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';
import type { PayForOrder } from './pay-for-order.js';
import { paymentView, type PaymentView } from './views.js';

const LOCK_TTL_MS = 60_000;

/**
 * Asks the gateway what became of a pending payment and settles it. A per-order lock keeps
 * several instances from asking at once; the settlement itself is guarded by the order's state,
 * so a lost lock can cost a second question to the gateway, never a second settlement.
 */
export class SettlePendingPayment {
  constructor(
    private readonly ctx: OrderingContext,
    private readonly pay: PayForOrder,
  ) {}

  /** `POST /payments/confirm`: settle now, on the buyer's (or an admin's) request. Idempotent. */
  async confirm(actor: Actor, paymentId: number): Promise<PaymentView> {
    const payment = await this.ctx.payments.get(paymentId);
    if (!payment) throw new NotFound('Payment', paymentId);
    if (actor.role !== 'ADMIN' && payment.userId !== actor.userId) throw new Forbidden('Only the buyer may confirm this payment');
    if (payment.isSettled()) return paymentView(payment);
    return (await this.settle(payment.orderId, paymentId))?.payment ?? paymentView(payment);
  }

  /** The recovery job: every order PENDING for longer than `afterSeconds`. Returns how many were settled. */
  async recover(afterSeconds: number, limit = 50): Promise<number> {
    const before = new Date(this.ctx.clock.now().getTime() - afterSeconds * 1000);
    let settled = 0;
    for (const orderId of await this.ctx.orders.pendingSince(before, limit)) {
      const payment = await this.ctx.payments.latestFor(orderId);
      if (!payment || payment.isSettled()) continue;
      const result = await this.settle(orderId, payment.id).catch((error: unknown) => {
        this.ctx.logger.error('payment recovery failed for an order; will retry', { orderId, error: String(error) });
        return null;
      });
      // Only what this run settled: another instance may have settled the same order meanwhile.
      if (result?.settledNow) settled += 1;
    }
    return settled;
  }

  /** Null when another instance holds the order's lock right now. */
  private async settle(orderId: number, paymentId: number): Promise<{ payment: PaymentView; settledNow: boolean } | null> {
    const lease = await this.ctx.locks.tryAcquire(`payment-settlement:${orderId}`, LOCK_TTL_MS);
    if (!lease) return null;
    try {
      const payment = await this.ctx.payments.get(paymentId);
      if (!payment) throw new NotFound('Payment', paymentId);
      if (payment.isSettled()) return { payment: paymentView(payment), settledNow: false };
      // Outside any transaction: the gateway is a network call.
      const status = await this.ctx.gateway
        .status({ paymentId, orderId, userId: payment.userId, amount: payment.amount })
        .catch(() => 'UNKNOWN' as const);
      if (status === 'UNKNOWN') return { payment: paymentView(payment), settledNow: false };
      return await this.pay.settlePending(orderId, paymentId, status, 'NOT_APPROVED_BY_GATEWAY');
    } finally {
      await lease.release();
    }
  }
}
