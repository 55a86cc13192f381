import type { Payment, PaymentRecoveryPolicy } from '../../domain/ordering/payment.js';
import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { RunsAs } from '../idempotency/run-idempotently.js';
import type { GatewayStatus } from '../ports/payment-gateway.js';
import type { PaymentRecoveryMetrics } from '../ports/payment-recovery-metrics.js';
import type { OrderingContext } from './ordering-context.js';
import type { SettleGatewayPayment } from './settle-gateway-payment.js';
import { paymentView, type PaymentView } from './views.js';

const LOCK_TTL_MS = 60_000;

/**
 * Asks the gateway what became of a pending payment and settles it. A per-order lock keeps
 * several instances from asking at once; the settlement itself is guarded by the order's state,
 * so a lost lock can cost a second question to the gateway, never a second settlement.
 *
 * The recovery job keeps books per payment (DOMAIN.md "Payment", Recovery): it takes only the
 * payments whose next attempt is due, earliest due first, so payments the gateway cannot answer
 * for back off instead of taking every run's batch; after too many inconclusive attempts a
 * payment is handed to an operator.
 */
export class SettlePendingPayment implements RunsAs {
  /** Asks the gateway: never inside a caller's transaction; settles in its own. */
  readonly transactional = false;

  constructor(
    private readonly ctx: OrderingContext,
    private readonly settleGatewayPayment: SettleGatewayPayment,
    private readonly policy: PaymentRecoveryPolicy,
    private readonly metrics: PaymentRecoveryMetrics,
  ) {}

  /**
   * `POST /payments/confirm`: settle now, on the buyer's (or an admin's) request, whatever the
   * recovery state (a payment handed to an operator too). Idempotent. Counts no attempt: the
   * bookkeeping is the job's.
   */
  async confirm(actor: Actor, paymentId: number): Promise<PaymentView> {
    const payment = await this.ctx.payments.get(paymentId);
    if (!payment) throw new NotFound('Payment', paymentId);
    if (actor.role !== 'ADMIN' && payment.userId !== actor.userId) throw new Forbidden('Only the buyer may confirm this payment');
    if (payment.isSettled()) return paymentView(payment);
    return (await this.settle(payment.orderId, paymentId))?.payment ?? paymentView(payment);
  }

  /**
   * The recovery job: up to `limit` payments in automatic recovery whose next attempt is due and
   * that have waited for the gateway at least `afterSeconds`, earliest due first. Returns how many
   * this run settled.
   */
  async recover(afterSeconds: number, limit = 50): Promise<number> {
    const now = this.ctx.clock.now();
    const due = await this.ctx.payments.dueForRecovery(now, new Date(now.getTime() - afterSeconds * 1000), limit);
    let settled = 0;
    for (const payment of due) {
      const result = await this.attempt(payment).catch((error: unknown) => {
        this.ctx.logger.error('payment recovery failed for a payment; will retry', { paymentId: payment.id, orderId: payment.orderId, error: String(error) });
        return null;
      });
      // Only what this run settled: another instance may have settled the same order meanwhile.
      if (result?.settledNow) settled += 1;
    }
    const awaiting = await this.ctx.payments.listInRecovery({ page: 1, size: 1, state: 'OPERATOR_REQUIRED' });
    this.metrics.awaitingOperator(awaiting.totalItems);
    return settled;
  }

  /**
   * One attempt of the job's: settles the payment when the gateway knows, else counts the attempt
   * and schedules the next (or hands the payment over). Null when another instance holds the
   * order's lock, or made this attempt since the payment was listed.
   */
  private async attempt(listed: Payment): Promise<{ settledNow: boolean } | null> {
    const lease = await this.ctx.locks.tryAcquire(`payment-settlement:${listed.orderId}`, LOCK_TTL_MS);
    if (!lease) return null;
    try {
      const payment = await this.ctx.payments.get(listed.id);
      if (!payment || !payment.isDueForRecovery(this.ctx.clock.now()) || payment.recovery.attempts !== listed.recovery.attempts) return null;
      // Outside any transaction: the gateway is a network call.
      const status = await this.askGateway(payment);
      let inconclusive = 'the gateway cannot tell yet (UNKNOWN)';
      if (status !== 'UNKNOWN') {
        try {
          return await this.settleGatewayPayment.execute(payment.orderId, payment.id, status, 'NOT_APPROVED_BY_GATEWAY');
        } catch (error) {
          this.ctx.logger.warn('settling a recovered payment failed; counted as an inconclusive attempt', { paymentId: payment.id, error: String(error) });
          inconclusive = `the gateway answered ${status} but settling failed`;
        }
      }
      await this.recordInconclusive(payment, inconclusive);
      return { settledNow: false };
    } finally {
      await lease.release();
    }
  }

  /**
   * The guarded write (only if nobody counted or retried it since it was read) is what keeps two
   * instances from counting one attempt twice when the lock did not keep them apart.
   */
  private async recordInconclusive(payment: Payment, why: string): Promise<void> {
    const seen = { state: 'AUTOMATIC' as const, attempts: payment.recovery.attempts };
    const handedOver = payment.recordInconclusiveRecovery(this.ctx.clock.now(), this.policy);
    if (!(await this.ctx.payments.saveRecovery(payment, seen))) return;
    if (!handedOver) return;
    this.metrics.handedOver();
    this.ctx.logger.error('pending payment handed to an operator: the gateway could not say whether it was approved', {
      paymentId: payment.id,
      orderId: payment.orderId,
      userId: payment.userId,
      amount: payment.amount,
      attempts: payment.recovery.attempts,
      lastAttempt: why,
    });
  }

  /** A gateway that fails to answer is as good as one that cannot tell. */
  private askGateway(payment: Payment): Promise<GatewayStatus> {
    return this.ctx.gateway
      .status({ paymentId: payment.id, orderId: payment.orderId, userId: payment.userId, amount: payment.amount })
      .catch((error: unknown) => {
        this.ctx.logger.warn('payment gateway status query failed', { paymentId: payment.id, error: String(error) });
        return 'UNKNOWN' as const;
      });
  }

  /** Null when another instance holds the order's lock right now. */
  private async settle(orderId: number, paymentId: number): Promise<{ payment: PaymentView; settledNow: boolean } | null> {
    const lease = await this.ctx.locks.tryAcquire(`payment-settlement:${orderId}`, LOCK_TTL_MS);
    if (!lease) return null;
    try {
      const payment = await this.ctx.payments.get(paymentId);
      if (!payment) throw new NotFound('Payment', paymentId);
      if (payment.isSettled()) return { payment: paymentView(payment), settledNow: false };
      const status = await this.askGateway(payment);
      if (status === 'UNKNOWN') return { payment: paymentView(payment), settledNow: false };
      return await this.settleGatewayPayment.execute(orderId, paymentId, status, 'NOT_APPROVED_BY_GATEWAY');
    } finally {
      await lease.release();
    }
  }
}
