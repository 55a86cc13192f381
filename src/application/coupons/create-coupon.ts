import { Coupon, type CreateCouponInput } from '../../domain/coupon/coupon.js';
import type { Actor } from '../../domain/user/actor.js';
import type { CouponContext } from './coupon-context.js';
import { couponView, type CouponView } from './views.js';

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
