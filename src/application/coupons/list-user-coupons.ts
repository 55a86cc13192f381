import type { UserCouponStatus } from '../../domain/coupon/user-coupon.js';
import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertActsFor } from '../../domain/user/actor.js';
import type { CouponContext } from './coupon-context.js';
import { userCouponView, type UserCouponView } from './views.js';

/** A user's coupons (their own, or anyone's for an ADMIN), newest first. */
export class ListUserCoupons {
  constructor(private readonly ctx: CouponContext) {}

  async execute(actor: Actor, userId: number, status?: UserCouponStatus): Promise<{ items: UserCouponView[] }> {
    assertActsFor(actor, userId);
    if (actor.userId !== userId && !(await this.ctx.users.get(userId))) throw new NotFound('User', userId);
    const copies = await this.ctx.userCoupons.listForUser(userId, status);
    const coupons = await this.ctx.coupons.getMany([...new Set(copies.map((c) => c.couponId))]);
    return {
      items: copies.map((copy) => {
        const coupon = coupons.get(copy.couponId);
        if (!coupon) throw new Error(`user coupon ${copy.id} names coupon ${copy.couponId}, which is missing`);
        return userCouponView(copy, coupon);
      }),
    };
  }
}
