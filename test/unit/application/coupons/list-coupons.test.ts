import { expect } from 'chai';
import type { CouponView } from '../../../../src/application/coupons/views.js';
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
});
