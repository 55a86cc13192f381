import { NotFound } from '../../domain/shared/errors.js';
import type { CouponContext } from './coupon-context.js';
import { couponView, type CouponView } from './views.js';

export class GetCoupon {
  constructor(private readonly ctx: CouponContext) {}

  async execute(couponId: number): Promise<CouponView> {
    const coupon = await this.ctx.coupons.get(couponId);
    if (!coupon) throw new NotFound('Coupon', couponId);
    return couponView(coupon, this.ctx.clock.now());
  }
}
