import type { CouponStatus } from '../../domain/coupon/coupon.js';
import type { CouponQuery } from '../../domain/coupon/repositories.js';
import { Forbidden } from '../../domain/shared/errors.js';
import type { Page, PageRequest } from '../../domain/shared/page.js';
import type { Actor } from '../../domain/user/actor.js';
import type { CouponContext } from './coupon-context.js';
import { couponView, type CouponView } from './views.js';

export interface CouponListRequest extends PageRequest {
  /** Exactly this code (any case): the way to find one coupon, whoever asks. */
  code?: string;
  /** As the coupon shows it now. */
  status?: CouponStatus;
  /** Scoped to this seller. */
  sellerId?: number;
}

/**
 * Coupons, newest first. With a `code`, anyone finds the coupon of that code whatever its status,
 * as they may read any coupon by its id: a buyer handed a code sees its terms (and whether it
 * still runs) before asking for a copy. Without one, what each role sees:
 * - ADMIN: every coupon (filters: `sellerId`, `status`);
 * - SELLER: the coupons they created, the ones they manage (`sellerId` may only name themselves);
 * - BUYER: the coupons being issued now (ACTIVE) of every seller, what a shop's coupon page
 *   offers (`sellerId` narrows it to one seller; any `status` but ACTIVE is FORBIDDEN).
 */
export class ListCoupons {
  constructor(private readonly ctx: CouponContext) {}

  async execute(actor: Actor, request: CouponListRequest): Promise<Page<CouponView>> {
    const now = this.ctx.clock.now();
    const query: CouponQuery = { page: request.page, size: request.size, now };
    if (request.code !== undefined) query.code = request.code;
    if (request.status !== undefined) query.status = request.status;
    if (request.sellerId !== undefined) query.sellerId = request.sellerId;
    if (request.code === undefined) {
      if (actor.role === 'SELLER') {
        if (request.sellerId !== undefined && request.sellerId !== actor.userId) throw new Forbidden("A SELLER lists their own coupons only; another seller's are found by code or id");
        query.createdBy = actor.userId;
      } else if (actor.role === 'BUYER') {
        if (request.status !== undefined && request.status !== 'ACTIVE') {
          throw new Forbidden(`A BUYER lists the coupons being issued (ACTIVE) only, not ${request.status} ones; a coupon of any status is found by its code`);
        }
        query.status = 'ACTIVE';
      }
    }
    const page = await this.ctx.coupons.list(query);
    return { ...page, items: page.items.map((coupon) => couponView(coupon, now)) };
  }
}
