import { Coupon, type CreateCouponInput, type SettableCouponStatus } from '../../domain/coupon/coupon.js';
import type { UserCouponStatus } from '../../domain/coupon/user-coupon.js';
import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertActsFor, assertRole } from '../../domain/user/actor.js';
import { type CouponContext, couponNamespace } from './coupon-context.js';
import { couponView, type CouponView, userCouponView, type UserCouponView } from './views.js';

/** A seller or an ADMIN opens a coupon campaign; CouponCreated goes out with it. */
export class CreateCoupon {
  constructor(private readonly ctx: CouponContext) {}

  async execute(actor: Actor, input: CreateCouponInput): Promise<CouponView> {
    const at = this.ctx.clock.now();
    // Checks the rules first (400), then the creator's role (403).
    const draft = Coupon.create(input, actor, at);
    return this.ctx.transactions.run(async () => {
      const coupon = await this.ctx.coupons.add(draft);
      await this.ctx.events.writeEventsOf(coupon);
      // A limited coupon is ready in the gate before the first buyer arrives (once it exists for everyone).
      const { totalQuantity } = coupon;
      if (totalQuantity !== null) {
        const terms = { couponId: coupon.id, totalQuantity, perUserLimit: coupon.perUserLimit, validUntil: coupon.validUntil };
        await this.ctx.transactions.afterCommit(() => this.ctx.gate.prepare(terms));
      }
      return couponView(coupon, at);
    });
  }
}

export class GetCoupon {
  constructor(private readonly ctx: CouponContext) {}

  async execute(couponId: number): Promise<CouponView> {
    const coupon = await this.ctx.coupons.get(couponId);
    if (!coupon) throw new NotFound('Coupon', couponId);
    return couponView(coupon, this.ctx.clock.now());
  }
}

/** Its creator or an ADMIN suspends, resumes or cancels a coupon. */
export class ChangeCouponStatus {
  constructor(private readonly ctx: CouponContext) {}

  async execute(actor: Actor, couponId: number, status: SettableCouponStatus): Promise<CouponView> {
    assertRole(actor, 'SELLER', 'ADMIN');
    const at = this.ctx.clock.now();
    const coupon = await this.ctx.transactions.run(async () => {
      const found = await this.ctx.coupons.get(couponId);
      if (!found) throw new NotFound('Coupon', couponId);
      if (actor.role !== 'ADMIN' && found.createdBy !== actor.userId) throw new Forbidden('Only the coupon’s creator or an ADMIN may change it');
      found.changeStatus(status, at);
      const saved = await this.ctx.coupons.save(found);
      await this.ctx.events.writeEventsOf(found);
      return saved;
    });
    await this.ctx.transactions.afterCommit(() => this.ctx.couponCache.invalidate(couponNamespace(couponId)));
    return couponView(coupon, at);
  }
}

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

/** The expiry job: copies past their validity, then coupons past their window, become EXPIRED. */
export class ExpireCoupons {
  constructor(private readonly ctx: CouponContext) {}

  async execute(): Promise<{ userCoupons: number; coupons: number }> {
    const now = this.ctx.clock.now();
    const userCoupons = await this.ctx.transactions.run(() => this.ctx.userCoupons.expireEnded(now));
    const coupons = await this.ctx.transactions.run(() => this.ctx.coupons.expireEnded(now));
    return { userCoupons, coupons };
  }
}
