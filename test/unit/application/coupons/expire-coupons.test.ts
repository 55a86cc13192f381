import { expect } from 'chai';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { type CouponApp, couponApp } from '../coupon-app.js';

const DAY_MS = 86_400_000;
const TTL_MS = 30_000;

describe('coupon use cases (memory adapters)', () => {
  let app: CouponApp;
  let seller: Actor;

  beforeEach(async () => {
    app = await couponApp();
    seller = await app.seller();
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
});
