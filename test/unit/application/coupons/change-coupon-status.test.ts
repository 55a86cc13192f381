import { expect } from 'chai';
import type { CouponView } from '../../../../src/application/coupons/views.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type CouponApp, couponApp } from '../coupon-app.js';

const UNKNOWN = 987_654;
const DAY_MS = 86_400_000;

describe('coupon use cases (memory adapters)', () => {
  let app: CouponApp;
  let seller: Actor;

  beforeEach(async () => {
    app = await couponApp();
    seller = await app.seller();
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
});
