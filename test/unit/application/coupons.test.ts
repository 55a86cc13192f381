import { expect } from 'chai';
import { DomainEventOutbox } from '../../../src/application/outbox/domain-event-outbox.js';
import sinon from 'sinon';
import type { ProductView } from '../../../src/application/catalog/product-view.js';
import type { CouponContext } from '../../../src/application/coupons/coupon-context.js';
import { IssueCouponFirstComeFirstServed } from '../../../src/application/coupons/issue-coupon.js';
import type { CouponView, UserCouponView } from '../../../src/application/coupons/views.js';
import type { OrderView } from '../../../src/application/ordering/views.js';
import type { GateAnswer, IssueTerms } from '../../../src/application/ports/coupon-issue-gate.js';
import type { CreateCouponInput } from '../../../src/domain/coupon/coupon.js';
import { CouponAlreadyIssued, CouponExhausted } from '../../../src/domain/coupon/errors.js';
import type { UserCouponStatus } from '../../../src/domain/coupon/user-coupon.js';
import type { RateLimited } from '../../../src/domain/shared/errors.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { expectRejectsCode, rejectionOf } from '../expect-error.js';
import { orderingApp, PRICE, TEST_ADDRESS } from './ordering-app.js';

const UNKNOWN = 987_654;
const DAY_MS = 86_400_000;
const TTL_MS = 30_000;
const RECOVERY_AFTER_S = 60;
const page = { page: 1, size: 50 };

const sandbox = (mode: 'approve' | 'decline' | 'timeout') => ({ env: { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: mode } });

let codes = 0;

/** The ordering app on memory adapters, plus the coupon use cases and helpers. */
async function couponApp(options: Parameters<typeof orderingApp>[0] = {}) {
  const app = await orderingApp(options);
  const extra = {
    couponContext: app.couponContext,
    coupons: app.coupons,
    userCoupons: app.userCoupons,
    createCoupon: app.createCoupon,
    getCoupon: app.getCoupon,
    changeCouponStatus: app.changeCouponStatus,
    issueCoupon: app.issueCoupon,
    listUserCoupons: app.listUserCoupons,
    listCoupons: app.listCoupons,
    expireCoupons: app.expireCoupons,
    settlePendingPayment: app.settlePendingPayment,

    /** A valid coupon: 10% off, 100 copies, valid from a day ago for ten days. */
    input(overrides: Partial<CreateCouponInput> = {}): CreateCouponInput {
      const now = app.clock.now().getTime();
      codes += 1;
      return {
        code: `SALE-${codes}`,
        name: 'Spring sale',
        type: 'PERCENTAGE',
        discountValue: 10,
        totalQuantity: 100,
        validFrom: new Date(now - DAY_MS),
        validUntil: new Date(now + 10 * DAY_MS),
        ...overrides,
      };
    },

    async coupon(creator: Actor, overrides: Partial<CreateCouponInput> = {}): Promise<CouponView> {
      return extra.createCoupon.execute(creator, extra.input(overrides));
    },

    async issue(actor: Actor, couponId: number, limitedOnly = false): Promise<UserCouponView> {
      return extra.issueCoupon.execute(actor, { couponId, limitedOnly });
    },

    /** A user coupon as its owner sees it. */
    async copy(owner: Actor, userCouponId: number): Promise<UserCouponView> {
      const found = (await extra.listUserCoupons.execute(app.admin, owner.userId)).items.find((c) => c.id === userCouponId);
      if (!found) return expect.fail(`user coupon ${userCouponId} is not listed for user ${owner.userId}`);
      return found;
    },

    async order(buyer: Actor, product: ProductView, userCouponId: number | undefined, quantity = 1): Promise<OrderView> {
      return app.placeOrder.execute(buyer, {
        items: [{ productId: product.id, optionId: product.options[0]!.id, quantity }],
        shippingAddress: TEST_ADDRESS,
        ...(userCouponId === undefined ? {} : { userCouponId }),
      });
    },

    couponEvents() {
      return app.outbox.events().filter((e) => e.aggregateType === 'Coupon');
    },
  };
  return Object.assign(app, extra);
}
type CouponApp = Awaited<ReturnType<typeof couponApp>>;

/** A gate the test steers, with every call recorded. */
function stubGate(take: GateAnswer | ((terms: IssueTerms, userId: number) => Promise<GateAnswer>)) {
  return {
    disputed: sinon.stub<[number], Promise<void>>().resolves(),
    prepare: sinon.stub<[IssueTerms], Promise<void>>().resolves(),
    take: sinon.stub<[IssueTerms, number], Promise<GateAnswer>>().callsFake(typeof take === 'function' ? take : async () => take),
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

  describe('CreateCoupon', () => {
    it('a SELLER creates a coupon: every field answered, defaults filled, CouponCreated in the outbox with the view', async () => {
      const now = app.clock.now();
      const input = app.input({ name: '  Spring sale  ', totalQuantity: undefined });
      const view = await app.createCoupon.execute(seller, input);

      expect(view).to.deep.equal({
        id: view.id,
        code: input.code,
        name: 'Spring sale',
        type: 'PERCENTAGE',
        discountValue: 10,
        maxDiscountAmount: null,
        minOrderAmount: 0,
        totalQuantity: null,
        issuedQuantity: 0,
        remainingQuantity: null,
        perUserLimit: 1,
        validFrom: input.validFrom.toISOString(),
        validUntil: input.validUntil.toISOString(),
        status: 'ACTIVE',
        sellerId: seller.userId,
        createdBy: seller.userId,
      });
      const events = app.couponEvents();
      expect(events.map((e) => [e.type, e.aggregateType, e.aggregateId])).to.deep.equal([['CouponCreated', 'Coupon', view.id]]);
      expect(events[0]!.payload).to.deep.equal(view);
      expect(events[0]!.occurredAt).to.deep.equal(now);
      expect(await app.getCoupon.execute(view.id)).to.deep.equal(view);
    });

    it('keeps the limits given: a limited FIXED coupon shows its remaining quantity', async () => {
      const view = await app.coupon(seller, { type: 'FIXED', discountValue: 5_000, maxDiscountAmount: 4_000, minOrderAmount: 30_000, totalQuantity: 50, perUserLimit: 2 });
      expect(view).to.include({
        type: 'FIXED',
        discountValue: 5_000,
        maxDiscountAmount: 4_000,
        minOrderAmount: 30_000,
        totalQuantity: 50,
        issuedQuantity: 0,
        remainingQuantity: 50,
        perUserLimit: 2,
        status: 'ACTIVE',
      });
    });

    it('an ADMIN creates coupons too: shop-wide (sellerId null)', async () => {
      const view = await app.coupon(app.admin);
      expect(view.createdBy).to.equal(app.admin.userId);
      expect(view.sellerId).to.equal(null);
    });

    it('a coupon whose window opens later is CREATED', async () => {
      const now = app.clock.now().getTime();
      const view = await app.coupon(seller, { validFrom: new Date(now + DAY_MS), validUntil: new Date(now + 2 * DAY_MS) });
      expect(view.status).to.equal('CREATED');
    });

    it('a BUYER is FORBIDDEN, and nothing is written', async () => {
      const buyer = await app.buyer();
      await expectRejectsCode(app.createCoupon.execute(buyer, app.input()), 'FORBIDDEN');
      expect(app.couponEvents()).to.deep.equal([]);
    });

    it('a BUYER with a broken rule is VALIDATION_FAILED, not FORBIDDEN: the shape comes before permission', async () => {
      const buyer = await app.buyer();
      const now = app.clock.now().getTime();
      const backwards = app.input({ validFrom: new Date(now + 2 * DAY_MS), validUntil: new Date(now + DAY_MS) });
      const error = await expectRejectsCode(app.createCoupon.execute(buyer, backwards), 'VALIDATION_FAILED');
      expect(error).to.have.nested.property('errors[0].field', 'validUntil');
      expect(app.couponEvents()).to.deep.equal([]);
    });

    it('a broken rule is VALIDATION_FAILED naming the field, and nothing is written', async () => {
      const error = await expectRejectsCode(app.createCoupon.execute(seller, app.input({ discountValue: 101 })), 'VALIDATION_FAILED');
      expect(error).to.have.nested.property('errors[0].field', 'discountValue');
      expect(app.couponEvents()).to.deep.equal([]);
    });

    it('a code already taken, in any case, is COUPON_CODE_TAKEN; only the first CouponCreated is written', async () => {
      const first = await app.coupon(seller, { code: 'Spring-2026' });
      await expectRejectsCode(app.coupon(app.admin, { code: 'SPRING-2026' }), 'COUPON_CODE_TAKEN');
      await expectRejectsCode(app.coupon(seller, { code: 'spring-2026' }), 'COUPON_CODE_TAKEN');
      expect(app.couponEvents().map((e) => [e.type, e.aggregateId])).to.deep.equal([['CouponCreated', first.id]]);
    });
  });

  describe('GetCoupon', () => {
    it('anyone reads a coupon; an unknown one is NOT_FOUND', async () => {
      const view = await app.coupon(seller);
      expect(await app.getCoupon.execute(view.id)).to.deep.equal(view);
      await expectRejectsCode(app.getCoupon.execute(UNKNOWN), 'NOT_FOUND');
    });
  });

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

    it('admit: with RATE_LIMIT_COUPON_ISSUES_PER_MINUTE=3 the fourth attempt in a minute is RATE_LIMITED; per user; allowed again next minute', async () => {
      app = await couponApp({ env: { RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '3' } });
      const buyer = await app.buyer();
      for (let i = 0; i < 3; i += 1) await app.issueCoupon.admit(buyer);
      const error = (await expectRejectsCode(app.issueCoupon.admit(buyer), 'RATE_LIMITED')) as RateLimited;
      expect(error.retryAfterSeconds).to.equal(60);
      await app.issueCoupon.admit(await app.buyer());
      app.clock.advance(60_000);
      await app.issueCoupon.admit(buyer);
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
      expect(gate.take.firstCall.args).to.deep.equal([
        { couponId: coupon.id, totalQuantity: 4, perUserLimit: 2, validUntil: new Date(coupon.validUntil) },
        buyer.userId,
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
        // Only "already issued" is checked against the user's copies; "exhausted" against the row read.
        expect(spies.heldBy.callCount).to.equal(answer === 'ALREADY_ISSUED' ? 1 : 0);
        expect(gate.disputed.args).to.deep.equal([[coupon.id]]);
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

  describe('ListCoupons', () => {
    const page = { page: 1, size: 20 };
    const ids = (listing: { items: CouponView[] }) => listing.items.map((c) => c.id);
    let other: Actor;
    let mine: { active: CouponView; later: CouponView; suspended: CouponView; exhausted: CouponView };
    let theirs: CouponView;
    let shopWide: CouponView;

    beforeEach(async () => {
      other = await app.seller();
      const now = app.clock.now().getTime();
      mine = {
        active: await app.coupon(seller),
        later: await app.coupon(seller, { validFrom: new Date(now + DAY_MS), validUntil: new Date(now + 2 * DAY_MS) }),
        suspended: await app.coupon(seller),
        exhausted: await app.coupon(seller, { totalQuantity: 1 }),
      };
      await app.changeCouponStatus.execute(seller, mine.suspended.id, 'SUSPENDED');
      await app.issue(await app.buyer(), mine.exhausted.id);
      theirs = await app.coupon(other);
      shopWide = await app.coupon(app.admin);
    });

    it('an ADMIN lists every coupon, newest first, as GetCoupon shows them; sellerId and status filter', async () => {
      const all = await app.listCoupons.execute(app.admin, page);
      expect(ids(all)).to.deep.equal([shopWide.id, theirs.id, mine.exhausted.id, mine.suspended.id, mine.later.id, mine.active.id]);
      expect(all).to.include({ page: 1, size: 20, totalItems: 6, totalPages: 1 });
      for (const item of all.items) expect(item).to.deep.equal(await app.getCoupon.execute(item.id));

      expect(ids(await app.listCoupons.execute(app.admin, { ...page, sellerId: other.userId }))).to.deep.equal([theirs.id]);
      expect(ids(await app.listCoupons.execute(app.admin, { ...page, status: 'ACTIVE' }))).to.deep.equal([shopWide.id, theirs.id, mine.active.id]);
      expect(ids(await app.listCoupons.execute(app.admin, { ...page, sellerId: seller.userId, status: 'EXHAUSTED' }))).to.deep.equal([mine.exhausted.id]);
      expect(ids(await app.listCoupons.execute(app.admin, { page: 2, size: 4 }))).to.deep.equal([mine.later.id, mine.active.id]);
    });

    it('a SELLER lists the coupons they created, whatever their status; status filters; sellerId may only be their own', async () => {
      expect(ids(await app.listCoupons.execute(seller, page))).to.deep.equal([mine.exhausted.id, mine.suspended.id, mine.later.id, mine.active.id]);
      expect(ids(await app.listCoupons.execute(seller, { ...page, status: 'CREATED' }))).to.deep.equal([mine.later.id]);
      expect(ids(await app.listCoupons.execute(seller, { ...page, sellerId: seller.userId, status: 'SUSPENDED' }))).to.deep.equal([mine.suspended.id]);
      expect(ids(await app.listCoupons.execute(other, page))).to.deep.equal([theirs.id]);
      await expectRejectsCode(app.listCoupons.execute(seller, { ...page, sellerId: other.userId }), 'FORBIDDEN');
    });

    it('a BUYER lists the coupons being issued now (ACTIVE) of everyone; sellerId narrows; another status is FORBIDDEN', async () => {
      const buyer = await app.buyer();
      expect(ids(await app.listCoupons.execute(buyer, page))).to.deep.equal([shopWide.id, theirs.id, mine.active.id]);
      expect(ids(await app.listCoupons.execute(buyer, { ...page, status: 'ACTIVE' }))).to.deep.equal([shopWide.id, theirs.id, mine.active.id]);
      expect(ids(await app.listCoupons.execute(buyer, { ...page, sellerId: seller.userId }))).to.deep.equal([mine.active.id]);
      for (const status of ['CREATED', 'EXHAUSTED', 'EXPIRED', 'SUSPENDED', 'CANCELLED'] as const) {
        await expectRejectsCode(app.listCoupons.execute(buyer, { ...page, status }), 'FORBIDDEN');
      }
      // The clock decides too: once the later one opens it is offered, once the window ends none is.
      app.clock.advance(DAY_MS);
      expect(ids(await app.listCoupons.execute(buyer, page))).to.deep.equal([shopWide.id, theirs.id, mine.later.id, mine.active.id]);
      app.clock.advance(10 * DAY_MS);
      expect(await app.listCoupons.execute(buyer, page)).to.deep.equal({ items: [], page: 1, size: 20, totalItems: 0, totalPages: 0 });
    });

    it('by code anyone finds any coupon, whatever its status and creator, in any case; an unknown code is an empty page', async () => {
      const buyer = await app.buyer();
      for (const [who, coupon] of [
        [buyer, mine.suspended],
        [buyer, mine.exhausted],
        [other, mine.later],
        [seller, shopWide],
        [app.admin, theirs],
      ] as const) {
        for (const code of [coupon.code, coupon.code.toLowerCase()]) {
          const found = await app.listCoupons.execute(who, { ...page, code });
          expect(found.items, code).to.deep.equal([await app.getCoupon.execute(coupon.id)]);
          expect(found).to.include({ totalItems: 1, totalPages: 1 });
        }
      }
      // The other filters still apply to it.
      expect(ids(await app.listCoupons.execute(buyer, { ...page, code: mine.suspended.code, status: 'SUSPENDED' }))).to.deep.equal([mine.suspended.id]);
      expect(ids(await app.listCoupons.execute(buyer, { ...page, code: mine.suspended.code, status: 'ACTIVE' }))).to.deep.equal([]);
      expect(ids(await app.listCoupons.execute(seller, { ...page, code: theirs.code, sellerId: other.userId }))).to.deep.equal([theirs.id]);
      expect(await app.listCoupons.execute(buyer, { ...page, code: 'NO-SUCH-CODE' })).to.deep.equal({ items: [], page: 1, size: 20, totalItems: 0, totalPages: 0 });
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

  describe('ChangeCouponStatus', () => {
    let coupon: CouponView;

    beforeEach(async () => {
      coupon = await app.coupon(seller);
    });

    it('its creator suspends it and resumes it; the view shows the status worked out', async () => {
      app.clock.advance(1_000);
      expect(await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED')).to.deep.equal({ ...coupon, status: 'SUSPENDED' });
      expect((await app.getCoupon.execute(coupon.id)).status).to.equal('SUSPENDED');
      expect(await app.changeCouponStatus.execute(seller, coupon.id, 'ACTIVE')).to.deep.equal({ ...coupon, status: 'ACTIVE' });
    });

    it('ACTIVE on a running coupon is a no-op that answers the coupon', async () => {
      expect(await app.changeCouponStatus.execute(seller, coupon.id, 'ACTIVE')).to.deep.equal(coupon);
    });

    it('an ADMIN changes anyone’s coupon', async () => {
      expect((await app.changeCouponStatus.execute(app.admin, coupon.id, 'SUSPENDED')).status).to.equal('SUSPENDED');
      expect((await app.changeCouponStatus.execute(app.admin, coupon.id, 'CANCELLED')).status).to.equal('CANCELLED');
    });

    it('another SELLER is FORBIDDEN; a BUYER is FORBIDDEN; the coupon is unchanged', async () => {
      await expectRejectsCode(app.changeCouponStatus.execute(await app.seller(), coupon.id, 'SUSPENDED'), 'FORBIDDEN');
      await expectRejectsCode(app.changeCouponStatus.execute(await app.buyer(), coupon.id, 'CANCELLED'), 'FORBIDDEN');
      expect(await app.getCoupon.execute(coupon.id)).to.deep.equal(coupon);
    });

    it('an unknown coupon is NOT_FOUND', async () => {
      await expectRejectsCode(app.changeCouponStatus.execute(seller, UNKNOWN, 'SUSPENDED'), 'NOT_FOUND');
      await expectRejectsCode(app.changeCouponStatus.execute(app.admin, UNKNOWN, 'SUSPENDED'), 'NOT_FOUND');
    });

    it('CANCELLED is final: every further change is INVALID_STATE', async () => {
      await app.changeCouponStatus.execute(seller, coupon.id, 'CANCELLED');
      for (const status of ['ACTIVE', 'SUSPENDED', 'CANCELLED'] as const) {
        await expectRejectsCode(app.changeCouponStatus.execute(seller, coupon.id, status), 'INVALID_STATE');
      }
      expect((await app.getCoupon.execute(coupon.id)).status).to.equal('CANCELLED');
    });

    it('EXPIRED is final, whether the job has swept it or not', async () => {
      app.clock.advance(10 * DAY_MS);
      await expectRejectsCode(app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED'), 'INVALID_STATE');
      await app.expireCoupons.execute();
      await expectRejectsCode(app.changeCouponStatus.execute(app.admin, coupon.id, 'CANCELLED'), 'INVALID_STATE');
      expect((await app.getCoupon.execute(coupon.id)).status).to.equal('EXPIRED');
    });
  });

  describe('ListUserCoupons', () => {
    let buyer: Actor;
    let copies: UserCouponView[];

    beforeEach(async () => {
      buyer = await app.buyer();
      copies = [];
      for (let i = 0; i < 3; i += 1) {
        const coupon = await app.coupon(seller);
        copies.push(await app.issue(buyer, coupon.id));
        app.clock.advance(1_000);
      }
    });

    it('a user’s own coupons, newest first', async () => {
      expect((await app.listUserCoupons.execute(buyer, buyer.userId)).items).to.deep.equal([...copies].reverse());
    });

    it('an ADMIN lists anyone’s', async () => {
      expect((await app.listUserCoupons.execute(app.admin, buyer.userId)).items.map((c) => c.id)).to.deep.equal(copies.map((c) => c.id).reverse());
    });

    it('another BUYER or a SELLER is FORBIDDEN, whether or not the user exists', async () => {
      await expectRejectsCode(app.listUserCoupons.execute(await app.buyer(), buyer.userId), 'FORBIDDEN');
      await expectRejectsCode(app.listUserCoupons.execute(seller, buyer.userId), 'FORBIDDEN');
      await expectRejectsCode(app.listUserCoupons.execute(await app.buyer(), UNKNOWN), 'FORBIDDEN');
    });

    it('an ADMIN naming an unknown user is NOT_FOUND', async () => {
      await expectRejectsCode(app.listUserCoupons.execute(app.admin, UNKNOWN), 'NOT_FOUND');
    });

    it('a user with no coupons gets an empty list', async () => {
      const other = await app.buyer();
      expect(await app.listUserCoupons.execute(other, other.userId)).to.deep.equal({ items: [] });
    });

    it('filters by status', async () => {
      const product = await app.product(seller);
      await app.charge(buyer.userId, 100_000);
      const order = await app.order(buyer, product, copies[0]!.id);
      await app.payForOrder.execute(buyer, order.id);

      const byStatus = async (status: UserCouponStatus) => (await app.listUserCoupons.execute(buyer, buyer.userId, status)).items.map((c) => c.id);
      expect(await byStatus('USED')).to.deep.equal([copies[0]!.id]);
      expect(await byStatus('ISSUED')).to.deep.equal([copies[2]!.id, copies[1]!.id]);
      expect(await byStatus('REFUNDED')).to.deep.equal([]);
      expect(await byStatus('EXPIRED')).to.deep.equal([]);
    });
  });

  describe('ExpireCoupons', () => {
    it('nothing before the window ends; at validUntil free ISSUED and REFUNDED copies and the coupon expire, bound and USED copies do not', async () => {
      const start = app.clock.now().getTime();
      const validUntil = new Date(start + 3_600_000);
      const coupon = await app.coupon(seller, { totalQuantity: 10, perUserLimit: 4, validUntil });
      const longer = await app.coupon(seller);
      const product = await app.product(seller, [{ name: '260', stock: 10 }]);
      const buyer = await app.buyer(500_000);
      const free = await app.issue(buyer, coupon.id);
      const toBind = await app.issue(buyer, coupon.id);
      const used = await app.issue(buyer, coupon.id);
      const refunded = await app.issue(buyer, coupon.id);
      const other = await app.issue(buyer, longer.id);

      const paid = await app.order(buyer, product, used.id);
      await app.payForOrder.execute(buyer, paid.id);
      const toRefund = await app.order(buyer, product, refunded.id);
      await app.payForOrder.execute(buyer, toRefund.id);
      await app.refundOrder.execute(buyer, toRefund.id, null);

      expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 0, coupons: 0 });

      // Bound to an unpaid order shortly before the end; the order is still live at the end.
      app.clock.advance(3_600_000 - 10_000);
      const live = await app.order(buyer, product, toBind.id);
      app.clock.advance(9_999);
      expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 0, coupons: 0 });
      app.clock.advance(1);
      expect(app.clock.now()).to.deep.equal(validUntil);

      expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 2, coupons: 1 });
      expect((await app.copy(buyer, free.id)).status).to.equal('EXPIRED');
      expect((await app.copy(buyer, refunded.id)).status).to.equal('EXPIRED');
      expect(await app.copy(buyer, toBind.id)).to.include({ status: 'ISSUED', orderId: live.id });
      expect(await app.copy(buyer, used.id)).to.include({ status: 'USED', orderId: paid.id });
      expect((await app.copy(buyer, other.id)).status).to.equal('ISSUED');
      expect((await app.coupons.get(coupon.id))!.toSnapshot().status).to.equal('EXPIRED');
      expect((await app.coupons.get(longer.id))!.toSnapshot().status).to.equal('ACTIVE');
      expect((await app.getCoupon.execute(coupon.id)).status).to.equal('EXPIRED');

      // Running again changes nothing.
      expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 0, coupons: 0 });

      // Once the order's reservation runs out, the copy comes back and the next run expires it.
      app.clock.advance(TTL_MS);
      expect(await app.expireReservations.execute()).to.equal(1);
      expect(await app.copy(buyer, toBind.id)).to.include({ status: 'ISSUED', orderId: null });
      expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 1, coupons: 0 });
      expect((await app.copy(buyer, toBind.id)).status).to.equal('EXPIRED');
    });

    it('a SUSPENDED coupon past its window is expired; a CANCELLED one stays CANCELLED', async () => {
      const suspended = await app.coupon(seller);
      const cancelled = await app.coupon(seller);
      await app.changeCouponStatus.execute(seller, suspended.id, 'SUSPENDED');
      await app.changeCouponStatus.execute(seller, cancelled.id, 'CANCELLED');
      app.clock.advance(10 * DAY_MS);
      expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 0, coupons: 1 });
      expect((await app.coupons.get(suspended.id))!.toSnapshot().status).to.equal('EXPIRED');
      expect((await app.coupons.get(cancelled.id))!.toSnapshot().status).to.equal('CANCELLED');
    });
  });

  describe('orders with coupons', () => {
    let product: ProductView;
    let optionId: number;
    let buyer: Actor;

    beforeEach(async () => {
      product = await app.product(seller, [{ name: '260', stock: 5 }]);
      optionId = product.options[0]!.id;
      buyer = await app.buyer(200_000);
    });

    const issued = async (overrides: Partial<CreateCouponInput> = {}, owner: Actor = buyer) => {
      const coupon = await app.coupon(seller, overrides);
      return { coupon, copy: await app.issue(owner, coupon.id) };
    };

    describe('PlaceOrder', () => {
      const discounts: [string, Partial<CreateCouponInput>, number, number][] = [
        ['PERCENTAGE 10% of 2 × 59,000', { type: 'PERCENTAGE', discountValue: 10 }, 2, 11_800],
        ['PERCENTAGE 15% capped at 5,000', { type: 'PERCENTAGE', discountValue: 15, maxDiscountAmount: 5_000 }, 1, 5_000],
        ['FIXED 3,000', { type: 'FIXED', discountValue: 3_000 }, 1, 3_000],
        ['FIXED above the total: the whole total', { type: 'FIXED', discountValue: 100_000 }, 1, PRICE],
        ['PERCENTAGE 100%: the whole total', { type: 'PERCENTAGE', discountValue: 100 }, 2, 2 * PRICE],
      ];
      for (const [title, overrides, quantity, discount] of discounts) {
        it(`${title}: discount ${discount}, finalAmount = total - discount`, async () => {
          const { copy } = await issued(overrides);
          const order = await app.order(buyer, product, copy.id, quantity);
          expect(order).to.include({
            status: 'CREATED',
            totalAmount: quantity * PRICE,
            discountAmount: discount,
            finalAmount: quantity * PRICE - discount,
            userCouponId: copy.id,
          });
        });
      }

      it('binds the copy: it names the order and keeps its status; stock reserved; OrderCreated carries the coupon', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id, 2);
        expect(await app.copy(buyer, copy.id)).to.deep.equal({ ...copy, orderId: order.id });
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 2, sold: 0 });
        const orderEvents = app.outbox.events().filter((e) => e.aggregateType === 'Order');
        expect(orderEvents.map((e) => [e.type, e.aggregateId])).to.deep.equal([['OrderCreated', order.id]]);
        expect(orderEvents[0]!.payload).to.deep.include({ userCouponId: copy.id, discountAmount: 11_800, finalAmount: 106_200 });
        expect(await app.getOrder.execute(buyer, order.id)).to.deep.equal(order);
      });

      it('an order refused for want of stock leaves the copy free (nothing bound)', async () => {
        const { copy } = await issued();
        await expectRejectsCode(app.order(buyer, product, copy.id, 6), 'INSUFFICIENT_STOCK');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        expect((await app.order(buyer, product, copy.id)).userCouponId).to.equal(copy.id);
      });

      it('the order total exactly at minOrderAmount is enough', async () => {
        const { copy } = await issued({ minOrderAmount: 2 * PRICE });
        const order = await app.order(buyer, product, copy.id, 2);
        expect(order.discountAmount).to.equal(11_800);
      });

      it('an EXHAUSTED coupon’s copies still apply', async () => {
        const { coupon, copy } = await issued({ totalQuantity: 1 });
        expect((await app.getCoupon.execute(coupon.id)).status).to.equal('EXHAUSTED');
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      it('a coupon resumed after a suspension applies again', async () => {
        const { coupon, copy } = await issued();
        await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED');
        await expectRejectsCode(app.order(buyer, product, copy.id), 'COUPON_NOT_APPLICABLE');
        await app.changeCouponStatus.execute(seller, coupon.id, 'ACTIVE');
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      describe('COUPON_NOT_APPLICABLE, with no stock reserved, no order and no event', () => {
        /** Each returns the user coupon id to order with (as `buyer`). */
        const cases: [string, () => Promise<number>][] = [
          ['an unknown user coupon', async () => UNKNOWN],
          ['someone else’s copy', async () => (await issued({}, await app.buyer())).copy.id],
          [
            'a USED copy',
            async () => {
              const { copy } = await issued();
              const other = await app.product(seller);
              const paid = await app.order(buyer, other, copy.id);
              await app.payForOrder.execute(buyer, paid.id);
              return copy.id;
            },
          ],
          [
            'an EXPIRED copy (swept by the job)',
            async () => {
              const now = app.clock.now().getTime();
              const { copy } = await issued({ validUntil: new Date(now + 60_000) });
              app.clock.advance(60_000);
              expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 1, coupons: 1 });
              return copy.id;
            },
          ],
          [
            'a copy past its validity, not yet swept (the coupon’s window is over)',
            async () => {
              const now = app.clock.now().getTime();
              const { copy } = await issued({ validUntil: new Date(now + 60_000) });
              app.clock.advance(60_000);
              return copy.id;
            },
          ],
          [
            'a copy of a SUSPENDED coupon',
            async () => {
              const { coupon, copy } = await issued();
              await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED');
              return copy.id;
            },
          ],
          [
            'a copy of a CANCELLED coupon',
            async () => {
              const { coupon, copy } = await issued();
              await app.changeCouponStatus.execute(app.admin, coupon.id, 'CANCELLED');
              return copy.id;
            },
          ],
          ['an order total below minOrderAmount', async () => (await issued({ minOrderAmount: PRICE + 100 })).copy.id],
          [
            'a copy bound to another CREATED order',
            async () => {
              const { copy } = await issued();
              const other = await app.product(seller);
              await app.order(buyer, other, copy.id);
              return copy.id;
            },
          ],
        ];
        for (const [title, make] of cases) {
          it(title, async () => {
            const userCouponId = await make();
            const ordersBefore = (await app.orders.list({ ...page })).totalItems;
            const eventsBefore = app.outbox.events().length;
            await expectRejectsCode(app.order(buyer, product, userCouponId), 'COUPON_NOT_APPLICABLE');
            expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
            expect((await app.orders.list({ ...page })).totalItems).to.equal(ordersBefore);
            expect(app.outbox.events()).to.have.length(eventsBefore);
          });
        }
      });
    });

    describe('paying, cancelling, expiring, refunding', () => {
      it('paid: the copy is USED (usedAt, orderId), the wallet pays finalAmount', async () => {
        const { copy } = await issued({ type: 'FIXED', discountValue: 9_000 });
        const order = await app.order(buyer, product, copy.id);
        app.clock.advance(2_000);
        const { payment } = await app.payForOrder.execute(buyer, order.id);
        expect(payment).to.include({ status: 'COMPLETED', amount: PRICE - 9_000 });
        expect(await app.status(order.id)).to.equal('CONFIRMED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal({ ...copy, status: 'USED', usedAt: app.clock.now().toISOString(), orderId: order.id });
        expect(await app.balance(buyer.userId)).to.equal(200_000 - (PRICE - 9_000));
        expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -(PRICE - 9_000), orderId: order.id }]);
        expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      });

      it('a payment refused for want of balance changes nothing: the order stays CREATED, the copy bound but not USED; paid after a charge it is USED', async () => {
        const poor = await app.buyer(10_000);
        const { copy } = await issued({}, poor);
        const order = await app.order(poor, product, copy.id);
        await expectRejectsCode(app.payForOrder.execute(poor, order.id), 'INSUFFICIENT_BALANCE');
        expect(await app.status(order.id)).to.equal('CREATED');
        expect(await app.copy(poor, copy.id)).to.deep.equal({ ...copy, orderId: order.id });
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
        await app.charge(poor.userId, 100_000);
        await app.payForOrder.execute(poor, order.id);
        expect(await app.copy(poor, copy.id)).to.include({ status: 'USED', orderId: order.id });
        expect(await app.balance(poor.userId)).to.equal(110_000 - (PRICE - 5_900));
      });

      it('a fully discounted order (finalAmount 0) is paid without any debit; the copy is USED', async () => {
        const { copy } = await issued({ type: 'PERCENTAGE', discountValue: 100 });
        const order = await app.order(buyer, product, copy.id);
        expect(order.finalAmount).to.equal(0);
        const { payment } = await app.payForOrder.execute(buyer, order.id);
        expect(payment).to.include({ status: 'COMPLETED', amount: 0 });
        expect(await app.status(order.id)).to.equal('CONFIRMED');
        expect(await app.balance(buyer.userId)).to.equal(200_000);
        expect(await app.ledger(buyer.userId)).to.deep.equal([]);
        expect((await app.copy(buyer, copy.id)).status).to.equal('USED');
      });

      it('an unpaid order cancelled: the copy is ISSUED again with no order, and applies to a new order', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.cancelOrder.execute(buyer, order.id, null);
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        const again = await app.order(buyer, product, copy.id);
        expect(again).to.include({ discountAmount: 5_900, userCouponId: copy.id });
      });

      it('an unpaid order expired by the sweeper: the copy is ISSUED again with no order', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        app.clock.advance(TTL_MS);
        expect(await app.expireReservations.execute()).to.equal(1);
        expect(await app.status(order.id)).to.equal('CANCELLED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      it('a paid order refunded: the copy is REFUNDED (no usedAt, no order), the finalAmount comes back, and the copy is usable again', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        const refund = await app.refundOrder.execute(buyer, order.id, null);
        expect(refund).to.include({ amount: PRICE - 5_900 });
        expect(await app.copy(buyer, copy.id)).to.deep.equal({ ...copy, status: 'REFUNDED', usedAt: null, orderId: null });
        expect(await app.balance(buyer.userId)).to.equal(200_000);

        const again = await app.order(buyer, product, copy.id);
        expect(again).to.include({ discountAmount: 5_900, finalAmount: PRICE - 5_900, userCouponId: copy.id });
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', orderId: again.id });
        await app.payForOrder.execute(buyer, again.id);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'USED', orderId: again.id });
        expect(await app.balance(buyer.userId)).to.equal(200_000 - (PRICE - 5_900));
      });

      it('a paid order cancelled (refunded first): the copy is REFUNDED', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        await app.cancelOrder.execute(buyer, order.id, null);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', usedAt: null, orderId: null });
      });

      it('a PREPARING order refunded: the copy is REFUNDED', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        await app.advanceFulfilment.execute(seller, order.id, 'PREPARING');
        await app.refundOrder.execute(app.admin, order.id, 'out of stock');
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', usedAt: null, orderId: null });
      });

      it('a REFUNDED copy bound to an unpaid order that is cancelled stays REFUNDED', async () => {
        const { copy } = await issued();
        const first = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, first.id);
        await app.refundOrder.execute(buyer, first.id, null);
        const second = await app.order(buyer, product, copy.id);
        await app.cancelOrder.execute(buyer, second.id, null);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', orderId: null, usedAt: null });
      });

      it('a fully discounted paid order refunded: nothing credited, the copy REFUNDED', async () => {
        const { copy } = await issued({ type: 'FIXED', discountValue: 1_000_000 });
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        const refund = await app.refundOrder.execute(buyer, order.id, null);
        expect(refund.amount).to.equal(0);
        expect(await app.ledger(buyer.userId)).to.deep.equal([]);
        expect((await app.copy(buyer, copy.id)).status).to.equal('REFUNDED');
      });
    });

    describe('with the sandbox gateway', () => {
      it('decline: PAYMENT_DECLINED, the order FAILED, the copy ISSUED again with no order, balance and stock back; the copy applies again', async () => {
        app = await couponApp(sandbox('decline'));
        seller = await app.seller();
        product = await app.product(seller, [{ name: '260', stock: 5 }]);
        optionId = product.options[0]!.id;
        buyer = await app.buyer(200_000);
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);

        await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'PAYMENT_DECLINED');

        expect(await app.status(order.id)).to.equal('FAILED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect(await app.balance(buyer.userId)).to.equal(200_000);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      it('approve: the copy is USED', async () => {
        app = await couponApp(sandbox('approve'));
        seller = await app.seller();
        product = await app.product(seller, [{ name: '260', stock: 5 }]);
        buyer = await app.buyer(200_000);
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'USED', orderId: order.id });
        expect(await app.balance(buyer.userId)).to.equal(200_000 - (PRICE - 5_900));
      });

      it('timeout: while the order is PENDING the copy stays bound and cannot go on another order; recovery (not approved) gives it back', async () => {
        app = await couponApp(sandbox('timeout'));
        seller = await app.seller();
        product = await app.product(seller, [{ name: '260', stock: 5 }]);
        optionId = product.options[0]!.id;
        buyer = await app.buyer(200_000);
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        expect((await app.payForOrder.execute(buyer, order.id)).settled).to.equal(false);
        expect(await app.status(order.id)).to.equal('PENDING');
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'ISSUED', orderId: order.id });

        await expectRejectsCode(app.order(buyer, product, copy.id), 'COUPON_NOT_APPLICABLE');
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });

        app.clock.advance(RECOVERY_AFTER_S * 1000 + 1_000);
        expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(1);
        expect(await app.status(order.id)).to.equal('FAILED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect(await app.balance(buyer.userId)).to.equal(200_000);
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });
    });
  });
});
