import { expect } from 'chai';
import type { UserCouponView } from '../../../../src/application/coupons/views.js';
import type { UserCouponStatus } from '../../../../src/domain/coupon/user-coupon.js';
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
});
