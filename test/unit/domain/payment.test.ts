import { expect } from 'chai';
import { Payment, PAYMENT_STATUSES, type PaymentStatus } from '../../../src/domain/ordering/payment.js';
import { expectThrowsCode } from '../expect-error.js';

const AT = new Date('2026-01-15T09:00:00.000Z');
const LATER = new Date(AT.getTime() + 5_000);

type Step = Exclude<PaymentStatus, 'FAILED'>;
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
    });
  });

  it('the statuses, in the order a payment goes through them', () => {
    expect([...PAYMENT_STATUSES]).to.deep.equal([...STEPS.slice(0, 5), 'COMPLETED', 'FAILED']);
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

  it('isSettled only for COMPLETED and FAILED', () => {
    expect(PAYMENT_STATUSES.filter((s) => paymentAt(s).isSettled())).to.deep.equal(['COMPLETED', 'FAILED']);
  });

  it('snapshots are copies', () => {
    const payment = paymentAt('DEBITED');
    const snapshot = payment.toSnapshot();
    snapshot.status = 'FAILED';
    expect(payment.status).to.equal('DEBITED');
  });
});
