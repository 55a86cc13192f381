import type { SettableCouponStatus } from '../../domain/coupon/coupon.js';
import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import { type CouponContext, couponNamespace } from './coupon-context.js';
import { couponView, type CouponView } from './views.js';

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
