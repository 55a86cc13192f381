import { expect } from 'chai';
import type { ProductView } from '../../../src/application/catalog/product-view.js';
import type { CouponView, UserCouponView } from '../../../src/application/coupons/views.js';
import type { OrderView } from '../../../src/application/ordering/views.js';
import type { CreateCouponInput } from '../../../src/domain/coupon/coupon.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { orderingApp, TEST_ADDRESS } from './ordering-app.js';

const DAY_MS = 86_400_000;

let codes = 0;

/** The ordering app on memory adapters (its coupon use cases among them), plus helpers for coupons. */
export async function couponApp(options: Parameters<typeof orderingApp>[0] = {}) {
  const app = await orderingApp(options);
  const extra = {
    /** A valid coupon: 10% off, 100 copies, valid from a day ago for ten days. */
    input(overrides: Partial<CreateCouponInput> = {}): CreateCouponInput {
      const now = app.clock.now().getTime();
      codes += 1;
      return {
        code: `SALE-${codes}`,
        name: 'Spring sale',
        type: 'PERCENTAGE',
        discountValue: 10,
        totalQuantity: 100,
        validFrom: new Date(now - DAY_MS),
        validUntil: new Date(now + 10 * DAY_MS),
        ...overrides,
      };
    },

    async coupon(creator: Actor, overrides: Partial<CreateCouponInput> = {}): Promise<CouponView> {
      return app.createCoupon.execute(creator, extra.input(overrides));
    },

    async issue(actor: Actor, couponId: number, limitedOnly = false): Promise<UserCouponView> {
      return app.issueCoupon.execute(actor, { couponId, limitedOnly });
    },

    /** A user coupon as its owner sees it. */
    async copy(owner: Actor, userCouponId: number): Promise<UserCouponView> {
      const found = (await app.listUserCoupons.execute(app.admin, owner.userId)).items.find((c) => c.id === userCouponId);
      if (!found) return expect.fail(`user coupon ${userCouponId} is not listed for user ${owner.userId}`);
      return found;
    },

    async order(buyer: Actor, product: ProductView, userCouponId: number | undefined, quantity = 1): Promise<OrderView> {
      return app.placeOrder.execute(buyer, {
        items: [{ productId: product.id, optionId: product.options[0]!.id, quantity }],
        shippingAddress: TEST_ADDRESS,
        ...(userCouponId === undefined ? {} : { userCouponId }),
      });
    },

    couponEvents() {
      return app.outbox.events().filter((e) => e.aggregateType === 'Coupon');
    },
  };
  return Object.assign(app, extra);
}
export type CouponApp = Awaited<ReturnType<typeof couponApp>>;
