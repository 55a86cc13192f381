import type { CouponContext } from './coupon-context.js';

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
