import { expect } from 'chai';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type CouponApp, couponApp } from '../coupon-app.js';

const UNKNOWN = 987_654;

describe('coupon use cases (memory adapters)', () => {
  let app: CouponApp;
  let seller: Actor;

  beforeEach(async () => {
    app = await couponApp();
    seller = await app.seller();
  });

  describe('GetCoupon', () => {
    it('anyone reads a coupon; an unknown one is NOT_FOUND', async () => {
      const view = await app.coupon(seller);
      expect(await app.getCoupon.execute(view.id)).to.deep.equal(view);
      await expectRejectsCode(app.getCoupon.execute(UNKNOWN), 'NOT_FOUND');
    });
  });
});
