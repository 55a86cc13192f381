import { expect } from 'chai';
import { DomainEventOutbox } from '../../../../src/application/outbox/domain-event-outbox.js';
import sinon from 'sinon';
import type { CouponContext } from '../../../../src/application/coupons/coupon-context.js';
import { IssueCouponFirstComeFirstServed } from '../../../../src/application/coupons/issue-coupon.js';
import type { CouponView } from '../../../../src/application/coupons/views.js';
import type { GateAnswer, IssueTerms, TakeOptions } from '../../../../src/application/ports/coupon-issue-gate.js';
import type { CreateCouponInput } from '../../../../src/domain/coupon/coupon.js';
import { CouponAlreadyIssued, CouponExhausted } from '../../../../src/domain/coupon/errors.js';
import type { RateLimited } from '../../../../src/domain/shared/errors.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode, rejectionOf } from '../../expect-error.js';
import { type CouponApp, couponApp } from '../coupon-app.js';

const UNKNOWN = 987_654;
const DAY_MS = 86_400_000;

/** A gate the test steers, with every call recorded. */
function stubGate(take: GateAnswer | ((terms: IssueTerms, userId: number) => Promise<GateAnswer>)) {
  return {
    disputed: sinon.stub<[number], Promise<void>>().resolves(),
    prepare: sinon.stub<[IssueTerms], Promise<void>>().resolves(),
    take: sinon.stub<[IssueTerms, number, TakeOptions?], Promise<GateAnswer>>().callsFake(typeof take === 'function' ? take : async () => take),
    giveBack: sinon.stub<[number, number], Promise<void>>().resolves(),
    forget: sinon.stub<[number], Promise<void>>().resolves(),
  };
}

function stubLogger() {
  return { info: sinon.stub(), warn: sinon.stub(), error: sinon.stub() };
}

describe('coupon use cases (memory adapters)', () => {
  let app: CouponApp;
  let seller: Actor;

  beforeEach(async () => {
    app = await couponApp();
    seller = await app.seller();
  });

  afterEach(() => sinon.restore());

  describe('IssueCouponFirstComeFirstServed', () => {
    it('issues an ISSUED copy, counts it on the coupon, and records CouponIssued with the view', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 3 });
      const buyer = await app.buyer();
      app.clock.advance(5_000);
      const now = app.clock.now();

      const copy = await app.issue(buyer, coupon.id);

      expect(copy).to.deep.equal({
        id: copy.id,
        couponId: coupon.id,
        code: coupon.code,
        name: coupon.name,
        type: 'PERCENTAGE',
        discountValue: 10,
        status: 'ISSUED',
        issuedAt: now.toISOString(),
        usedAt: null,
        orderId: null,
        expiresAt: coupon.validUntil,
      });
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 1, remainingQuantity: 2, status: 'ACTIVE' });
      const issued = app.couponEvents().filter((e) => e.type === 'CouponIssued');
      expect(issued.map((e) => [e.type, e.aggregateType, e.aggregateId])).to.deep.equal([['CouponIssued', 'Coupon', coupon.id]]);
      expect(issued[0]!.payload).to.deep.equal(copy);
      expect(issued[0]!.occurredAt).to.deep.equal(now);
      expect((await app.listUserCoupons.execute(buyer, buyer.userId)).items).to.deep.equal([copy]);
    });

    it('the limited endpoint issues a limited coupon', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 2 });
      const copy = await app.issue(await app.buyer(), coupon.id, true);
      expect(copy.status).to.equal('ISSUED');
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 1, remainingQuantity: 1 });
    });

    it('an unknown coupon is NOT_FOUND', async () => {
      await expectRejectsCode(app.issue(await app.buyer(), UNKNOWN), 'NOT_FOUND');
      await expectRejectsCode(app.issue(await app.buyer(), UNKNOWN, true), 'NOT_FOUND');
    });

    it('after totalQuantity copies the next is COUPON_EXHAUSTED: the counter stays, the coupon shows EXHAUSTED, no event', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 2 });
      await app.issue(await app.buyer(), coupon.id);
      await app.issue(await app.buyer(), coupon.id);
      const late = await app.buyer();
      const error = await expectRejectsCode(app.issue(late, coupon.id), 'COUPON_EXHAUSTED');
      expect(error).to.be.instanceOf(CouponExhausted);
      await expectRejectsCode(app.issue(late, coupon.id, true), 'COUPON_EXHAUSTED');
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 2, remainingQuantity: 0, status: 'EXHAUSTED' });
      expect(app.couponEvents().filter((e) => e.type === 'CouponIssued')).to.have.length(2);
      expect((await app.listUserCoupons.execute(late, late.userId)).items).to.deep.equal([]);
    });

    it('perUserLimit 1: a second issue to the same user is COUPON_ALREADY_ISSUED; another user still gets one', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 10 });
      const buyer = await app.buyer();
      await app.issue(buyer, coupon.id);
      const error = await expectRejectsCode(app.issue(buyer, coupon.id), 'COUPON_ALREADY_ISSUED');
      expect(error).to.be.instanceOf(CouponAlreadyIssued);
      await app.issue(await app.buyer(), coupon.id);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 2 });
    });

    it('perUserLimit 2: two copies for one user, the third is COUPON_ALREADY_ISSUED', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 10, perUserLimit: 2 });
      const buyer = await app.buyer();
      const first = await app.issue(buyer, coupon.id);
      const second = await app.issue(buyer, coupon.id);
      expect(second.id).to.not.equal(first.id);
      await expectRejectsCode(app.issue(buyer, coupon.id), 'COUPON_ALREADY_ISSUED');
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 2 });
    });

    it('unlimited: perUserLimit still holds', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: null });
      const buyer = await app.buyer();
      await app.issue(buyer, coupon.id);
      await expectRejectsCode(app.issue(buyer, coupon.id), 'COUPON_ALREADY_ISSUED');
    });

    it('already-issued is checked before exhausted: the holder of the last copy gets COUPON_ALREADY_ISSUED, anyone else COUPON_EXHAUSTED', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 1 });
      const holder = await app.buyer();
      await app.issue(holder, coupon.id);
      await expectRejectsCode(app.issue(holder, coupon.id), 'COUPON_ALREADY_ISSUED');
      await expectRejectsCode(app.issue(holder, coupon.id, true), 'COUPON_ALREADY_ISSUED');
      await expectRejectsCode(app.issue(await app.buyer(), coupon.id), 'COUPON_EXHAUSTED');
    });

    it('first come, first served: 12 users at once for 5 copies: exactly 5 issued, 7 COUPON_EXHAUSTED', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyers = await Promise.all(Array.from({ length: 12 }, () => app.buyer()));
      const results = await Promise.allSettled(buyers.map((b) => app.issue(b, coupon.id, true)));
      const issuedCopies = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(issuedCopies).to.have.length(5);
      expect(refused.map((r) => (r.reason as { code?: string }).code)).to.deep.equal(Array(7).fill('COUPON_EXHAUSTED'));
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 5, remainingQuantity: 0, status: 'EXHAUSTED' });
      expect(app.couponEvents().filter((e) => e.type === 'CouponIssued')).to.have.length(5);
    });

    it('one user asking 5 times at once with perUserLimit 2 gets exactly 2; the rest COUPON_ALREADY_ISSUED', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 10, perUserLimit: 2 });
      const buyer = await app.buyer();
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => app.issue(buyer, coupon.id)));
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(2);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused.map((r) => (r.reason as { code?: string }).code)).to.deep.equal(Array(3).fill('COUPON_ALREADY_ISSUED'));
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 2 });
      expect((await app.listUserCoupons.execute(buyer, buyer.userId)).items).to.have.length(2);
    });

    it('an unlimited coupon on the limited endpoint is COUPON_NOT_ISSUABLE', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: null });
      await expectRejectsCode(app.issue(await app.buyer(), coupon.id, true), 'COUPON_NOT_ISSUABLE');
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 0 });
    });

    it('an unlimited coupon is issued on the plain endpoint: counted, nothing remaining to show', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: null });
      await app.issue(await app.buyer(), coupon.id);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 1, totalQuantity: null, remainingQuantity: null, status: 'ACTIVE' });
    });

    describe('a coupon not being issued is COUPON_NOT_ISSUABLE, on both endpoints, with nothing issued', () => {
      const cases: [string, (c: CouponView) => Promise<void>, Partial<CreateCouponInput>][] = [
        ['CREATED (before validFrom)', async () => {}, { validFrom: new Date('2026-01-16T09:00:00.000Z'), validUntil: new Date('2026-01-20T09:00:00.000Z') }],
        ['SUSPENDED', async (c) => void (await app.changeCouponStatus.execute(seller, c.id, 'SUSPENDED')), {}],
        ['CANCELLED', async (c) => void (await app.changeCouponStatus.execute(seller, c.id, 'CANCELLED')), {}],
        ['EXPIRED (window over, not swept)', async () => app.clock.advance(10 * DAY_MS), {}],
        ['EXPIRED (swept by the job)', async () => {
          app.clock.advance(10 * DAY_MS);
          await app.expireCoupons.execute();
        }, {}],
      ];
      for (const [title, make, overrides] of cases) {
        it(title, async () => {
          const coupon = await app.coupon(seller, overrides);
          await make(coupon);
          const buyer = await app.buyer();
          await expectRejectsCode(app.issue(buyer, coupon.id), 'COUPON_NOT_ISSUABLE');
          await expectRejectsCode(app.issue(buyer, coupon.id, true), 'COUPON_NOT_ISSUABLE');
          expect((await app.getCoupon.execute(coupon.id)).issuedQuantity).to.equal(0);
          expect(app.couponEvents().filter((e) => e.type === 'CouponIssued')).to.deep.equal([]);
        });
      }
    });

    it('with RATE_LIMIT_COUPON_ISSUES_PER_MINUTE=3 the fourth attempt in a minute is RATE_LIMITED, refused ones counted, before 404 and 409; per user; allowed again next minute', async () => {
      app = await couponApp({ env: { RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '3' } });
      seller = await app.seller();
      const limited = await app.coupon(seller, { totalQuantity: 1 });
      const unlimited = await app.coupon(seller, { totalQuantity: null });
      const buyer = await app.buyer();
      // Through the gate (issued, then already issued), and around it (unknown coupon).
      await app.issue(buyer, limited.id, true);
      await expectRejectsCode(app.issue(buyer, limited.id, true), 'COUPON_ALREADY_ISSUED');
      await expectRejectsCode(app.issue(buyer, UNKNOWN), 'NOT_FOUND');
      for (const couponId of [limited.id, unlimited.id, UNKNOWN]) {
        const error = (await expectRejectsCode(app.issue(buyer, couponId), 'RATE_LIMITED')) as RateLimited;
        expect(error.retryAfterSeconds).to.equal(60);
      }
      await expectRejectsCode(app.issue(await app.buyer(), limited.id, true), 'COUPON_EXHAUSTED');
      app.clock.advance(60_000);
      await app.issue(buyer, unlimited.id);
      expect(app.couponEvents().filter((e) => e.type === 'CouponIssued')).to.have.length(2);
    });
  });

  describe('the issue gate', () => {
    let logger: ReturnType<typeof stubLogger>;

    beforeEach(() => {
      logger = stubLogger();
    });

    /** The use case over the app's memory repositories, with this gate. */
    const withGate = (gate: ReturnType<typeof stubGate>, overrides: Partial<CouponContext> = {}) =>
      new IssueCouponFirstComeFirstServed({ ...app.couponContext, gate, logger, ...overrides });

    const spyRepositories = () => ({
      countOneIssued: sinon.spy(app.coupons, 'countOneIssued'),
      heldBy: sinon.spy(app.userCoupons, 'heldBy'),
      issue: sinon.spy(app.userCoupons, 'issue'),
    });

    it('a limited coupon asks the gate with its terms; a TAKEN claim is issued and neither forgotten nor given back', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 4, perUserLimit: 2 });
      const buyer = await app.buyer();
      const gate = stubGate('TAKEN');
      const copy = await withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: false });
      expect(copy.status).to.equal('ISSUED');
      expect(gate.take.callCount).to.equal(1);
      // The rate limit is counted by the gate, in the same step as the take.
      expect(gate.take.firstCall.args).to.deep.equal([
        { couponId: coupon.id, totalQuantity: 4, perUserLimit: 2, validUntil: new Date(coupon.validUntil) },
        buyer.userId,
        { admission: { action: 'coupon-issues', subject: String(buyer.userId), refusal: 'Too many coupon requests; wait a moment' }, copiesLeftInDatabase: true },
      ]);
      expect(gate.forget.callCount).to.equal(0);
      expect(gate.giveBack.callCount).to.equal(0);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 1 });
    });

    it('an unlimited coupon bypasses the gate', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: null });
      const gate = stubGate('EXHAUSTED');
      const copy = await withGate(gate).execute(await app.buyer(), { couponId: coupon.id, limitedOnly: false });
      expect(copy.status).to.equal('ISSUED');
      expect(gate.take.callCount).to.equal(0);
      expect(gate.forget.callCount).to.equal(0);
      expect(gate.giveBack.callCount).to.equal(0);
    });

    it('a coupon that is not issuable is refused before the gate is asked', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED');
      const gate = stubGate('TAKEN');
      await expectRejectsCode(withGate(gate).execute(await app.buyer(), { couponId: coupon.id, limitedOnly: false }), 'COUPON_NOT_ISSUABLE');
      expect(gate.take.callCount).to.equal(0);
    });

    for (const [answer, code] of [
      ['EXHAUSTED', 'COUPON_EXHAUSTED'],
      ['ALREADY_ISSUED', 'COUPON_ALREADY_ISSUED'],
    ] as const) {
      it(`the gate answers ${answer}: ${code}, nothing is written, and the gate hears the database disagrees (copies left, the user holds none)`, async () => {
        const coupon = await app.coupon(seller, { totalQuantity: 5 });
        const buyer = await app.buyer();
        const gate = stubGate(answer);
        const spies = spyRepositories();
        await expectRejectsCode(withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: true }), code);
        expect(spies.countOneIssued.callCount).to.equal(0);
        // Only "already issued" is checked against the user's copies; "exhausted" against the row
        // read, which the gate is told with the take (it settles the dispute in the same step).
        expect(spies.heldBy.callCount).to.equal(answer === 'ALREADY_ISSUED' ? 1 : 0);
        expect(gate.take.firstCall.args[2]).to.include({ copiesLeftInDatabase: true });
        expect(gate.disputed.args).to.deep.equal(answer === 'ALREADY_ISSUED' ? [[coupon.id]] : []);
        expect(spies.issue.callCount).to.equal(0);
        expect(gate.forget.callCount).to.equal(0);
        expect(gate.giveBack.callCount).to.equal(0);
        expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 0 });
        expect(app.couponEvents().filter((e) => e.type === 'CouponIssued')).to.deep.equal([]);
      });
    }

    it('TAKEN, but the database finds it exhausted (someone won the last copy meanwhile): COUPON_EXHAUSTED, gate.forget, not giveBack', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 1 });
      const winner = await app.buyer();
      const loser = await app.buyer();
      // The gate lets the loser through while the real issue path hands the last copy to the winner.
      const gate = stubGate(async () => {
        await app.issue(winner, coupon.id);
        return 'TAKEN';
      });
      await expectRejectsCode(withGate(gate).execute(loser, { couponId: coupon.id, limitedOnly: false }), 'COUPON_EXHAUSTED');
      expect(gate.forget.callCount).to.equal(1);
      expect(gate.forget.firstCall.args).to.deep.equal([coupon.id]);
      expect(gate.giveBack.callCount).to.equal(0);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 1, remainingQuantity: 0 });
      expect((await app.listUserCoupons.execute(loser, loser.userId)).items).to.deep.equal([]);
      expect(app.couponEvents().filter((e) => e.type === 'CouponIssued')).to.have.length(1);
    });

    it('TAKEN, but the guarded counter refuses: COUPON_EXHAUSTED, gate.forget, not giveBack, nothing issued', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyer = await app.buyer();
      sinon.stub(app.coupons, 'countOneIssued').resolves(false);
      const gate = stubGate('TAKEN');
      await expectRejectsCode(withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: false }), 'COUPON_EXHAUSTED');
      expect(gate.forget.callCount).to.equal(1);
      expect(gate.forget.firstCall.args).to.deep.equal([coupon.id]);
      expect(gate.giveBack.callCount).to.equal(0);
      expect((await app.listUserCoupons.execute(buyer, buyer.userId)).items).to.deep.equal([]);
    });

    it('TAKEN, but the database says the user already holds it (the gate lost its state): COUPON_ALREADY_ISSUED, gate.forget, not giveBack', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyer = await app.buyer();
      await app.issue(buyer, coupon.id);
      const gate = stubGate('TAKEN');
      await expectRejectsCode(withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: false }), 'COUPON_ALREADY_ISSUED');
      expect(gate.forget.callCount).to.equal(1);
      expect(gate.forget.firstCall.args).to.deep.equal([coupon.id]);
      expect(gate.giveBack.callCount).to.equal(0);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 1 });
    });

    it('TAKEN, then an unexpected repository failure: the same error, gate.giveBack(coupon, user), not forget, the counter rolled back', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyer = await app.buyer();
      const failure = new Error('connection lost');
      sinon.stub(app.userCoupons, 'issue').rejects(failure);
      const gate = stubGate('TAKEN');
      const error = await rejectionOf(withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: false }));
      expect(error).to.equal(failure);
      expect(gate.giveBack.callCount).to.equal(1);
      expect(gate.giveBack.firstCall.args).to.deep.equal([coupon.id, buyer.userId]);
      expect(gate.forget.callCount).to.equal(0);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 0, remainingQuantity: 5 });
      expect(app.couponEvents().filter((e) => e.type === 'CouponIssued')).to.deep.equal([]);
    });

    it('TAKEN, then the outbox write fails: the same error, gate.giveBack, the issue rolled back', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyer = await app.buyer();
      const failure = new Error('outbox down');
      const gate = stubGate('TAKEN');
      const use = withGate(gate, { events: new DomainEventOutbox({ add: async () => Promise.reject(failure) }) });
      expect(await rejectionOf(use.execute(buyer, { couponId: coupon.id, limitedOnly: false }))).to.equal(failure);
      expect(gate.giveBack.callCount).to.equal(1);
      expect(gate.forget.callCount).to.equal(0);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 0 });
      expect((await app.listUserCoupons.execute(buyer, buyer.userId)).items).to.deep.equal([]);
    });

    it('TAKEN, but the coupon was suspended meanwhile: COUPON_NOT_ISSUABLE, and the claim is given back', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyer = await app.buyer();
      const gate = stubGate(async () => {
        await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED');
        return 'TAKEN';
      });
      await expectRejectsCode(withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: false }), 'COUPON_NOT_ISSUABLE');
      expect(gate.giveBack.callCount).to.equal(1);
      expect(gate.giveBack.firstCall.args).to.deep.equal([coupon.id, buyer.userId]);
      expect(gate.forget.callCount).to.equal(0);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 0 });
    });

    it('no dispute when the gate is right: EXHAUSTED with none left in the database, ALREADY_ISSUED to a user who holds it', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 1 });
      const holder = await app.buyer();
      await app.issue(holder, coupon.id);
      // Past the second the issue path may keep a coupon's row, so the row read shows none left.
      app.clock.advance(1_001);
      const exhaustedGate = stubGate('EXHAUSTED');
      await expectRejectsCode(withGate(exhaustedGate).execute(await app.buyer(), { couponId: coupon.id, limitedOnly: true }), 'COUPON_EXHAUSTED');
      const issuedGate = stubGate('ALREADY_ISSUED');
      await expectRejectsCode(withGate(issuedGate).execute(holder, { couponId: coupon.id, limitedOnly: true }), 'COUPON_ALREADY_ISSUED');

      expect(exhaustedGate.disputed.callCount).to.equal(0);
      expect(exhaustedGate.take.firstCall.args[2]).to.include({ copiesLeftInDatabase: false });
      expect(issuedGate.disputed.callCount).to.equal(0);
    });

    it('a gate whose forget throws does not hide the original error (logged as a warning)', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyer = await app.buyer();
      await app.issue(buyer, coupon.id);
      const gate = stubGate('TAKEN');
      gate.forget.rejects(new Error('redis down'));
      const error = await expectRejectsCode(withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: false }), 'COUPON_ALREADY_ISSUED');
      expect(error).to.be.instanceOf(CouponAlreadyIssued);
      expect(gate.forget.callCount).to.equal(1);
      expect(logger.warn.callCount).to.equal(1);
    });

    it('a gate whose giveBack throws does not hide the original error (logged as a warning)', async () => {
      const coupon = await app.coupon(seller, { totalQuantity: 5 });
      const buyer = await app.buyer();
      const failure = new Error('connection lost');
      sinon.stub(app.userCoupons, 'issue').rejects(failure);
      const gate = stubGate('TAKEN');
      gate.giveBack.rejects(new Error('redis down'));
      expect(await rejectionOf(withGate(gate).execute(buyer, { couponId: coupon.id, limitedOnly: false }))).to.equal(failure);
      expect(gate.giveBack.callCount).to.equal(1);
      expect(logger.warn.callCount).to.equal(1);
    });
  });

  describe('IssueCouponFirstComeFirstServed by code', () => {
    it('issues the coupon the code names, in any case, exactly as by id', async () => {
      const coupon = await app.coupon(seller, { code: 'Welcome-Back', totalQuantity: 3 });
      const buyer = await app.buyer();

      const copy = await app.issueCoupon.execute(buyer, { couponCode: 'WELCOME-back', limitedOnly: true });

      expect(copy).to.include({ couponId: coupon.id, code: 'Welcome-Back', status: 'ISSUED' });
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 1, remainingQuantity: 2 });
      await expectRejectsCode(app.issueCoupon.execute(buyer, { couponCode: 'welcome-back', limitedOnly: false }), 'COUPON_ALREADY_ISSUED');
      await expectRejectsCode(app.issueCoupon.execute(buyer, { couponId: coupon.id, limitedOnly: false }), 'COUPON_ALREADY_ISSUED');
    });

    it('an unknown code is NOT_FOUND naming it, and is not remembered: once the coupon exists, the code issues it', async () => {
      const buyer = await app.buyer();
      const error = await expectRejectsCode(app.issueCoupon.execute(buyer, { couponCode: 'LATE-COMER', limitedOnly: false }), 'NOT_FOUND');
      expect((error as Error).message).to.equal('Coupon LATE-COMER does not exist');

      const coupon = await app.coupon(seller, { code: 'LATE-COMER' });
      expect((await app.issueCoupon.execute(buyer, { couponCode: 'LATE-COMER', limitedOnly: false })).couponId).to.equal(coupon.id);
    });

    it('resolves a code once, then reads the coupon through the same cached terms as by id; the gate and the counter see the id', async () => {
      const coupon = await app.coupon(seller, { code: 'STORM', totalQuantity: 5 });
      const findByCode = sinon.spy(app.coupons, 'findByCode');
      const get = sinon.spy(app.coupons, 'get');
      const gate = stubGate('TAKEN');
      const issue = new IssueCouponFirstComeFirstServed({ ...app.couponContext, gate });

      for (const code of ['STORM', 'storm', 'Storm']) await issue.execute(await app.buyer(), { couponCode: code, limitedOnly: true });

      expect(findByCode.callCount).to.equal(1);
      // The terms are read once (cached for a second), as they would be by id.
      expect(get.getCalls().filter((call) => call.args[0] === coupon.id).length).to.equal(1);
      expect(gate.take.getCalls().map((call) => call.args[0].couponId)).to.deep.equal([coupon.id, coupon.id, coupon.id]);
      expect(await app.getCoupon.execute(coupon.id)).to.include({ issuedQuantity: 3 });

      // A suspension is seen within the terms' second, whether asked by id or by code; the code is not read again.
      await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED');
      await expectRejectsCode(issue.execute(await app.buyer(), { couponCode: 'STORM', limitedOnly: true }), 'COUPON_NOT_ISSUABLE');
      expect(findByCode.callCount).to.equal(1);
    });

    it('a code resolved to a coupon that is not there (a creation rolled back after it was read) is NOT_FOUND once, then looked up afresh', async () => {
      const coupon = await app.coupon(seller, { code: 'GHOST' });
      const cache = app.couponContext.couponCache;
      // As if the code had been read while an insert that then rolled back was under way.
      await cache.getOrLoad('coupon-code:GHOST', 'id', 300, async () => UNKNOWN);
      const buyer = await app.buyer();

      await expectRejectsCode(app.issueCoupon.execute(buyer, { couponCode: 'ghost', limitedOnly: false }), 'NOT_FOUND');
      expect((await app.issueCoupon.execute(buyer, { couponCode: 'ghost', limitedOnly: false })).couponId).to.equal(coupon.id);
    });
  });
});
