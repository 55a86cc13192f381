import { expect } from 'chai';
import {
  MAX_RECOVERY_BACKOFF_SECONDS,
  Payment,
  PAYMENT_STATUSES,
  type PaymentRecoveryPolicy,
  type PaymentStatus,
  type PaymentStep,
  recoveryBackoffMs,
} from '../../../src/domain/ordering/payment.js';
import { expectThrowsCode } from '../expect-error.js';

const AT = new Date('2026-01-15T09:00:00.000Z');
const LATER = new Date(AT.getTime() + 5_000);

type Step = PaymentStep;
const STEPS: Step[] = ['INITIATED', 'VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'GATEWAY_REQUESTED', 'COMPLETED'];

function paymentAt(status: PaymentStatus, failureReason: string | null = null): Payment {
  return Payment.fromSnapshot({ ...Payment.start(8, 7, 59_000, AT), id: 3, status, failureReason });
}

describe('Payment (how far a payment got)', () => {
  it('starts INITIATED, with the order, the buyer and the amount, and no failure reason', () => {
    expect(Payment.start(8, 7, 59_000, AT)).to.deep.equal({
      orderId: 8,
      userId: 7,
      amount: 59_000,
      status: 'INITIATED',
      failureReason: null,
      createdAt: AT,
      updatedAt: AT,
      completedAt: null,
      refundedAmount: 0,
      recovery: { state: null, attempts: 0, nextAttemptAt: null, lastAttemptAt: null },
    });
  });

  it('the statuses, in the order a payment goes through them', () => {
    expect([...PAYMENT_STATUSES]).to.deep.equal([...STEPS.slice(0, 5), 'COMPLETED', 'FAILED', 'PARTIALLY_REFUNDED', 'REFUNDED']);
  });

  it('goes forward through every step to COMPLETED, recording when', () => {
    const payment = paymentAt('INITIATED');
    for (const step of STEPS.slice(1)) {
      payment.reach(step, LATER);
      expect(payment.status).to.equal(step);
    }
    expect(payment.toSnapshot()).to.include({ status: 'COMPLETED', failureReason: null });
    expect(payment.toSnapshot().updatedAt).to.deep.equal(LATER);
    expect(payment.isSettled()).to.equal(true);
  });

  it('may skip steps forward (INITIATED → LOCK_ACQUIRED) and may reach the step it is at again', () => {
    const payment = paymentAt('INITIATED');
    payment.reach('LOCK_ACQUIRED', AT);
    payment.reach('LOCK_ACQUIRED', LATER);
    expect(payment.status).to.equal('LOCK_ACQUIRED');
  });

  describe('never goes back', () => {
    for (const [i, from] of STEPS.slice(0, -1).entries()) {
      for (const back of STEPS.slice(0, i)) {
        it(`${from} → ${back} is INVALID_STATE and changes nothing`, () => {
          const payment = paymentAt(from);
          const before = payment.toSnapshot();
          expectThrowsCode(() => payment.reach(back, LATER), 'INVALID_STATE');
          expect(payment.toSnapshot()).to.deep.equal(before);
        });
      }
    }
  });

  describe('fail keeps the step it stopped at in the reason', () => {
    for (const at of STEPS.slice(0, -1)) {
      it(`failing at ${at}: FAILED, reason "… (at ${at})"`, () => {
        const payment = paymentAt(at);
        payment.fail('DECLINED', LATER);
        expect(payment.toSnapshot()).to.include({ status: 'FAILED', failureReason: `DECLINED (at ${at})` });
        expect(payment.toSnapshot().updatedAt).to.deep.equal(LATER);
        expect(payment.isSettled()).to.equal(true);
      });
    }
  });

  describe('a settled payment refuses any further move', () => {
    for (const settled of ['COMPLETED', 'FAILED'] as const) {
      it(`${settled}: every reach and a second fail are INVALID_STATE, and it is unchanged`, () => {
        const payment = paymentAt(settled, settled === 'FAILED' ? 'DECLINED (at GATEWAY_REQUESTED)' : null);
        const before = payment.toSnapshot();
        for (const step of STEPS) expectThrowsCode(() => payment.reach(step, LATER), 'INVALID_STATE');
        expectThrowsCode(() => payment.fail('again', LATER), 'INVALID_STATE');
        expect(payment.toSnapshot()).to.deep.equal(before);
      });
    }
  });

  it('isSettled for COMPLETED and FAILED, and for a completed payment refunded since', () => {
    expect(PAYMENT_STATUSES.filter((s) => paymentAt(s).isSettled())).to.deep.equal(['COMPLETED', 'FAILED', 'PARTIALLY_REFUNDED', 'REFUNDED']);
    expect(PAYMENT_STATUSES.filter((s) => paymentAt(s).isPaid())).to.deep.equal(['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED']);
  });

  describe('refunds (issue 12)', () => {
    const completed = () => {
      const payment = paymentAt('GATEWAY_REQUESTED');
      payment.reach('COMPLETED', LATER);
      return payment;
    };
    const REFUND_AT = new Date(LATER.getTime() + 60_000);

    it('COMPLETED records when it completed; refunds never move it', () => {
      const payment = completed();
      expect(payment.completedAt).to.deep.equal(LATER);
      payment.recordRefund(9_000, false, REFUND_AT);
      expect(payment.completedAt).to.deep.equal(LATER);
      expect(payment.toSnapshot().updatedAt).to.deep.equal(REFUND_AT);
    });

    it('a partial refund makes it PARTIALLY_REFUNDED, the last one REFUNDED, counting what came back', () => {
      const payment = completed();
      payment.recordRefund(9_000, false, REFUND_AT);
      expect(payment.status).to.equal('PARTIALLY_REFUNDED');
      expect(payment.refundedAmount).to.equal(9_000);
      payment.recordRefund(50_000, true, REFUND_AT);
      expect(payment.status).to.equal('REFUNDED');
      expect(payment.refundedAmount).to.equal(59_000);
    });

    it('refuses more than is left, a last refund that leaves money behind, and a payment that is not paid or REFUNDED already; unchanged', () => {
      const payment = completed();
      payment.recordRefund(9_000, false, REFUND_AT);
      const before = payment.toSnapshot();
      expectThrowsCode(() => payment.recordRefund(50_001, false, REFUND_AT), 'INVALID_STATE');
      expectThrowsCode(() => payment.recordRefund(49_999, true, REFUND_AT), 'INVALID_STATE');
      expectThrowsCode(() => payment.recordRefund(-1, false, REFUND_AT), 'INVALID_STATE');
      expect(payment.toSnapshot()).to.deep.equal(before);
      payment.recordRefund(50_000, true, REFUND_AT);
      expectThrowsCode(() => payment.recordRefund(0, true, REFUND_AT), 'INVALID_STATE');
      for (const status of ['GATEWAY_REQUESTED', 'FAILED'] as const) expectThrowsCode(() => paymentAt(status).recordRefund(1, false, REFUND_AT), 'INVALID_STATE');
    });

    it('a refunded payment cannot reach a step or fail', () => {
      const payment = completed();
      payment.recordRefund(1_000, false, REFUND_AT);
      for (const step of STEPS) expectThrowsCode(() => payment.reach(step, REFUND_AT), 'INVALID_STATE');
      expectThrowsCode(() => payment.fail('late', REFUND_AT), 'INVALID_STATE');
    });
  });

  it('snapshots are copies', () => {
    const payment = paymentAt('DEBITED');
    const snapshot = payment.toSnapshot();
    snapshot.status = 'FAILED';
    expect(payment.status).to.equal('DEBITED');
  });

  describe('recovery (DOMAIN.md "Payment", Recovery)', () => {
    const S = 1_000;
    const policy = (backoffSeconds: number, maxAttempts: number): PaymentRecoveryPolicy => ({ backoffSeconds, maxAttempts });
    const at = (ms: number) => new Date(AT.getTime() + ms);

    /** A payment that reached GATEWAY_REQUESTED at AT, the way PayForOrder gets one there. */
    function waiting(): Payment {
      const payment = paymentAt('DEBITED');
      payment.reach('GATEWAY_REQUESTED', AT);
      return payment;
    }

    it('backoff: base × 2^(attempts − 1), capped at an hour; none before the first attempt, none with base 0', () => {
      const schedule = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50, 5_000].map((n) => recoveryBackoffMs(n, policy(30, 10)) / S);
      expect(schedule).to.deep.equal([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600]);
      expect(MAX_RECOVERY_BACKOFF_SECONDS).to.equal(3600);
      expect(recoveryBackoffMs(0, policy(30, 10))).to.equal(0);
      expect(recoveryBackoffMs(7, policy(0, 10))).to.equal(0);
      expect(recoveryBackoffMs(1, policy(3600, 10))).to.equal(3_600_000);
      expect(recoveryBackoffMs(2, policy(3600, 10))).to.equal(3_600_000);
    });

    it('a new payment is not in recovery; reaching GATEWAY_REQUESTED puts it in AUTOMATIC recovery, due at once, waiting since then', () => {
      const payment = paymentAt('DEBITED');
      expect(payment.recovery).to.deep.equal({ state: null, attempts: 0, nextAttemptAt: null, lastAttemptAt: null });
      expect(payment.waitingSince).to.equal(null);
      expect(payment.isDueForRecovery(LATER)).to.equal(false);

      payment.reach('GATEWAY_REQUESTED', AT);

      expect(payment.recovery).to.deep.equal({ state: 'AUTOMATIC', attempts: 0, nextAttemptAt: AT, lastAttemptAt: null });
      expect(payment.waitingSince).to.deep.equal(AT);
      expect(payment.isDueForRecovery(AT)).to.equal(true);
      expect(payment.isDueForRecovery(at(-1))).to.equal(false);
    });

    it('each inconclusive attempt counts one and schedules the next after the backoff; the step and its time stay', () => {
      const payment = waiting();
      const nexts: number[] = [];
      let now = AT.getTime();
      for (let n = 1; n <= 4; n += 1) {
        now = payment.recovery.nextAttemptAt!.getTime() + 500;
        expect(payment.recordInconclusiveRecovery(new Date(now), policy(30, 10))).to.equal(false);
        nexts.push((payment.recovery.nextAttemptAt!.getTime() - now) / S);
        expect(payment.recovery).to.deep.include({ state: 'AUTOMATIC', attempts: n, lastAttemptAt: new Date(now) });
      }
      expect(nexts).to.deep.equal([30, 60, 120, 240]);
      expect(payment.isDueForRecovery(new Date(now + 239 * S))).to.equal(false);
      expect(payment.isDueForRecovery(new Date(now + 240 * S))).to.equal(true);
      expect(payment.toSnapshot()).to.include({ status: 'GATEWAY_REQUESTED' });
      expect(payment.toSnapshot().updatedAt).to.deep.equal(AT);
      expect(payment.waitingSince).to.deep.equal(AT);
    });

    it('the max-th inconclusive attempt hands it to an operator: OPERATOR_REQUIRED, no next attempt, never due; still waiting, nothing settled', () => {
      const payment = waiting();
      expect(payment.recordInconclusiveRecovery(at(1 * S), policy(30, 3))).to.equal(false);
      expect(payment.recordInconclusiveRecovery(at(40 * S), policy(30, 3))).to.equal(false);

      expect(payment.recordInconclusiveRecovery(at(200 * S), policy(30, 3))).to.equal(true);

      expect(payment.recovery).to.deep.equal({ state: 'OPERATOR_REQUIRED', attempts: 3, nextAttemptAt: null, lastAttemptAt: at(200 * S) });
      expect(payment.isDueForRecovery(at(1_000_000 * S))).to.equal(false);
      expect(payment.status).to.equal('GATEWAY_REQUESTED');
      expect(payment.isSettled()).to.equal(false);
      // The job cannot count attempts on it any more.
      expectThrowsCode(() => payment.recordInconclusiveRecovery(at(300 * S), policy(30, 3)), 'INVALID_STATE');
    });

    it('max attempts 0: never handed over; past the cap every wait is an hour', () => {
      const payment = waiting();
      for (let n = 1; n <= 40; n += 1) expect(payment.recordInconclusiveRecovery(at(n * S), policy(30, 0))).to.equal(false);
      expect(payment.recovery).to.deep.include({ state: 'AUTOMATIC', attempts: 40 });
      expect(payment.recovery.nextAttemptAt).to.deep.equal(at(40 * S + 3_600 * S));
    });

    it('backoff 0: the next attempt is at the attempt itself (due on the next run)', () => {
      const payment = waiting();
      payment.recordInconclusiveRecovery(at(5 * S), policy(0, 0));
      expect(payment.recovery.nextAttemptAt).to.deep.equal(at(5 * S));
    });

    it('an operator’s retry puts a handed-over payment back into AUTOMATIC recovery, attempts 0, due at once; the last attempt stays on record', () => {
      const payment = waiting();
      payment.recordInconclusiveRecovery(at(1 * S), policy(30, 1));
      expect(payment.recovery.state).to.equal('OPERATOR_REQUIRED');

      payment.resumeRecovery(at(9 * S));

      expect(payment.recovery).to.deep.equal({ state: 'AUTOMATIC', attempts: 0, nextAttemptAt: at(9 * S), lastAttemptAt: at(1 * S) });
      expect(payment.isDueForRecovery(at(9 * S))).to.equal(true);
      // And the count starts again: one more inconclusive attempt is not a hand-over at max 2.
      expect(payment.recordInconclusiveRecovery(at(10 * S), policy(30, 2))).to.equal(false);
    });

    it('settling takes it out of recovery (state and next attempt cleared) and keeps the attempts made', () => {
      const completed = waiting();
      completed.recordInconclusiveRecovery(at(1 * S), policy(30, 10));
      completed.reach('COMPLETED', at(50 * S));
      expect(completed.recovery).to.deep.equal({ state: null, attempts: 1, nextAttemptAt: null, lastAttemptAt: at(1 * S) });
      expect(completed.waitingSince).to.equal(null);

      const failed = waiting();
      failed.recordInconclusiveRecovery(at(1 * S), policy(30, 1));
      failed.fail('NOT_APPROVED_BY_GATEWAY', at(60 * S));
      expect(failed.recovery).to.deep.equal({ state: null, attempts: 1, nextAttemptAt: null, lastAttemptAt: at(1 * S) });
    });

    it('a payment not waiting for the gateway cannot be retried or counted (INVALID_STATE), and is unchanged', () => {
      for (const payment of [paymentAt('DEBITED'), paymentAt('COMPLETED'), paymentAt('FAILED', 'x')]) {
        const before = payment.toSnapshot();
        expectThrowsCode(() => payment.resumeRecovery(LATER), 'INVALID_STATE');
        expectThrowsCode(() => payment.recordInconclusiveRecovery(LATER, policy(30, 10)), 'INVALID_STATE');
        expect(payment.toSnapshot()).to.deep.equal(before);
      }
    });

    it('snapshots and the recovery it hands out are copies', () => {
      const payment = waiting();
      payment.toSnapshot().recovery.nextAttemptAt!.setTime(0);
      payment.recovery.nextAttemptAt!.setTime(0);
      expect(payment.recovery.nextAttemptAt).to.deep.equal(AT);
    });
  });
});
