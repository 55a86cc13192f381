import { expect } from 'chai';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type CouponApp, couponApp } from '../coupon-app.js';

const DAY_MS = 86_400_000;

describe('coupon use cases (memory adapters)', () => {
  let app: CouponApp;
  let seller: Actor;

  beforeEach(async () => {
    app = await couponApp();
    seller = await app.seller();
  });

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
});
