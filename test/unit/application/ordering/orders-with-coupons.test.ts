import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { CreateCouponInput } from '../../../../src/domain/coupon/coupon.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type CouponApp, couponApp } from '../coupon-app.js';
import { PRICE } from '../ordering-app.js';

const UNKNOWN = 987_654;
const TTL_MS = 30_000;
const RECOVERY_AFTER_S = 60;
const page = { page: 1, size: 50 };

const sandbox = (mode: 'approve' | 'decline' | 'timeout') => ({ env: { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: mode } });

describe('coupon use cases (memory adapters)', () => {
  let app: CouponApp;
  let seller: Actor;

  beforeEach(async () => {
    app = await couponApp();
    seller = await app.seller();
  });

  describe('orders with coupons', () => {
    let product: ProductView;
    let optionId: number;
    let buyer: Actor;

    beforeEach(async () => {
      product = await app.product(seller, [{ name: '260', stock: 5 }]);
      optionId = product.options[0]!.id;
      buyer = await app.buyer(200_000);
    });

    const issued = async (overrides: Partial<CreateCouponInput> = {}, owner: Actor = buyer) => {
      const coupon = await app.coupon(seller, overrides);
      return { coupon, copy: await app.issue(owner, coupon.id) };
    };

    describe('PlaceOrder', () => {
      const discounts: [string, Partial<CreateCouponInput>, number, number][] = [
        ['PERCENTAGE 10% of 2 × 59,000', { type: 'PERCENTAGE', discountValue: 10 }, 2, 11_800],
        ['PERCENTAGE 15% capped at 5,000', { type: 'PERCENTAGE', discountValue: 15, maxDiscountAmount: 5_000 }, 1, 5_000],
        ['FIXED 3,000', { type: 'FIXED', discountValue: 3_000 }, 1, 3_000],
        ['FIXED above the total: the whole total', { type: 'FIXED', discountValue: 100_000 }, 1, PRICE],
        ['PERCENTAGE 100%: the whole total', { type: 'PERCENTAGE', discountValue: 100 }, 2, 2 * PRICE],
      ];
      for (const [title, overrides, quantity, discount] of discounts) {
        it(`${title}: discount ${discount}, finalAmount = total - discount`, async () => {
          const { copy } = await issued(overrides);
          const order = await app.order(buyer, product, copy.id, quantity);
          expect(order).to.include({
            status: 'CREATED',
            totalAmount: quantity * PRICE,
            discountAmount: discount,
            finalAmount: quantity * PRICE - discount,
            userCouponId: copy.id,
          });
        });
      }

      it('binds the copy: it names the order and keeps its status; stock reserved; OrderCreated carries the coupon', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id, 2);
        expect(await app.copy(buyer, copy.id)).to.deep.equal({ ...copy, orderId: order.id });
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 2, sold: 0 });
        const orderEvents = app.outbox.events().filter((e) => e.aggregateType === 'Order');
        expect(orderEvents.map((e) => [e.type, e.aggregateId])).to.deep.equal([['OrderCreated', order.id]]);
        expect(orderEvents[0]!.payload).to.deep.include({ userCouponId: copy.id, discountAmount: 11_800, finalAmount: 106_200 });
        expect(await app.getOrder.execute(buyer, order.id)).to.deep.equal(order);
      });

      it('an order refused for want of stock leaves the copy free (nothing bound)', async () => {
        const { copy } = await issued();
        await expectRejectsCode(app.order(buyer, product, copy.id, 6), 'INSUFFICIENT_STOCK');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        expect((await app.order(buyer, product, copy.id)).userCouponId).to.equal(copy.id);
      });

      it('the order total exactly at minOrderAmount is enough', async () => {
        const { copy } = await issued({ minOrderAmount: 2 * PRICE });
        const order = await app.order(buyer, product, copy.id, 2);
        expect(order.discountAmount).to.equal(11_800);
      });

      it('an EXHAUSTED coupon’s copies still apply', async () => {
        const { coupon, copy } = await issued({ totalQuantity: 1 });
        expect((await app.getCoupon.execute(coupon.id)).status).to.equal('EXHAUSTED');
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      it('a coupon resumed after a suspension applies again', async () => {
        const { coupon, copy } = await issued();
        await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED');
        await expectRejectsCode(app.order(buyer, product, copy.id), 'COUPON_NOT_APPLICABLE');
        await app.changeCouponStatus.execute(seller, coupon.id, 'ACTIVE');
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      describe('COUPON_NOT_APPLICABLE, with no stock reserved, no order and no event', () => {
        /** Each returns the user coupon id to order with (as `buyer`). */
        const cases: [string, () => Promise<number>][] = [
          ['an unknown user coupon', async () => UNKNOWN],
          ['someone else’s copy', async () => (await issued({}, await app.buyer())).copy.id],
          [
            'a USED copy',
            async () => {
              const { copy } = await issued();
              const other = await app.product(seller);
              const paid = await app.order(buyer, other, copy.id);
              await app.payForOrder.execute(buyer, paid.id);
              return copy.id;
            },
          ],
          [
            'an EXPIRED copy (swept by the job)',
            async () => {
              const now = app.clock.now().getTime();
              const { copy } = await issued({ validUntil: new Date(now + 60_000) });
              app.clock.advance(60_000);
              expect(await app.expireCoupons.execute()).to.deep.equal({ userCoupons: 1, coupons: 1 });
              return copy.id;
            },
          ],
          [
            'a copy past its validity, not yet swept (the coupon’s window is over)',
            async () => {
              const now = app.clock.now().getTime();
              const { copy } = await issued({ validUntil: new Date(now + 60_000) });
              app.clock.advance(60_000);
              return copy.id;
            },
          ],
          [
            'a copy of a SUSPENDED coupon',
            async () => {
              const { coupon, copy } = await issued();
              await app.changeCouponStatus.execute(seller, coupon.id, 'SUSPENDED');
              return copy.id;
            },
          ],
          [
            'a copy of a CANCELLED coupon',
            async () => {
              const { coupon, copy } = await issued();
              await app.changeCouponStatus.execute(app.admin, coupon.id, 'CANCELLED');
              return copy.id;
            },
          ],
          ['an order total below minOrderAmount', async () => (await issued({ minOrderAmount: PRICE + 100 })).copy.id],
          [
            'a copy bound to another CREATED order',
            async () => {
              const { copy } = await issued();
              const other = await app.product(seller);
              await app.order(buyer, other, copy.id);
              return copy.id;
            },
          ],
        ];
        for (const [title, make] of cases) {
          it(title, async () => {
            const userCouponId = await make();
            const ordersBefore = (await app.orders.list({ ...page })).totalItems;
            const eventsBefore = app.outbox.events().length;
            await expectRejectsCode(app.order(buyer, product, userCouponId), 'COUPON_NOT_APPLICABLE');
            expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
            expect((await app.orders.list({ ...page })).totalItems).to.equal(ordersBefore);
            expect(app.outbox.events()).to.have.length(eventsBefore);
          });
        }
      });
    });

    describe('paying, cancelling, expiring, refunding', () => {
      it('paid: the copy is USED (usedAt, orderId), the wallet pays finalAmount', async () => {
        const { copy } = await issued({ type: 'FIXED', discountValue: 9_000 });
        const order = await app.order(buyer, product, copy.id);
        app.clock.advance(2_000);
        const { payment } = await app.payForOrder.execute(buyer, order.id);
        expect(payment).to.include({ status: 'COMPLETED', amount: PRICE - 9_000 });
        expect(await app.status(order.id)).to.equal('CONFIRMED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal({ ...copy, status: 'USED', usedAt: app.clock.now().toISOString(), orderId: order.id });
        expect(await app.balance(buyer.userId)).to.equal(200_000 - (PRICE - 9_000));
        expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -(PRICE - 9_000), orderId: order.id }]);
        expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      });

      it('a payment refused for want of balance changes nothing: the order stays CREATED, the copy bound but not USED; paid after a charge it is USED', async () => {
        const poor = await app.buyer(10_000);
        const { copy } = await issued({}, poor);
        const order = await app.order(poor, product, copy.id);
        await expectRejectsCode(app.payForOrder.execute(poor, order.id), 'INSUFFICIENT_BALANCE');
        expect(await app.status(order.id)).to.equal('CREATED');
        expect(await app.copy(poor, copy.id)).to.deep.equal({ ...copy, orderId: order.id });
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
        await app.charge(poor.userId, 100_000);
        await app.payForOrder.execute(poor, order.id);
        expect(await app.copy(poor, copy.id)).to.include({ status: 'USED', orderId: order.id });
        expect(await app.balance(poor.userId)).to.equal(110_000 - (PRICE - 5_900));
      });

      it('a fully discounted order (finalAmount 0) is paid without any debit; the copy is USED', async () => {
        const { copy } = await issued({ type: 'PERCENTAGE', discountValue: 100 });
        const order = await app.order(buyer, product, copy.id);
        expect(order.finalAmount).to.equal(0);
        const { payment } = await app.payForOrder.execute(buyer, order.id);
        expect(payment).to.include({ status: 'COMPLETED', amount: 0 });
        expect(await app.status(order.id)).to.equal('CONFIRMED');
        expect(await app.balance(buyer.userId)).to.equal(200_000);
        expect(await app.ledger(buyer.userId)).to.deep.equal([]);
        expect((await app.copy(buyer, copy.id)).status).to.equal('USED');
      });

      it('an unpaid order cancelled: the copy is ISSUED again with no order, and applies to a new order', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.cancelOrder.execute(buyer, order.id, null);
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        const again = await app.order(buyer, product, copy.id);
        expect(again).to.include({ discountAmount: 5_900, userCouponId: copy.id });
      });

      it('an unpaid order expired by the sweeper: the copy is ISSUED again with no order', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        app.clock.advance(TTL_MS);
        expect(await app.expireReservations.execute()).to.equal(1);
        expect(await app.status(order.id)).to.equal('CANCELLED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      it('a paid order refunded: the copy is REFUNDED (no usedAt, no order), the finalAmount comes back, and the copy is usable again', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        const refund = await app.refundOrder.execute(buyer, order.id, null);
        expect(refund).to.include({ amount: PRICE - 5_900 });
        expect(await app.copy(buyer, copy.id)).to.deep.equal({ ...copy, status: 'REFUNDED', usedAt: null, orderId: null });
        expect(await app.balance(buyer.userId)).to.equal(200_000);

        const again = await app.order(buyer, product, copy.id);
        expect(again).to.include({ discountAmount: 5_900, finalAmount: PRICE - 5_900, userCouponId: copy.id });
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', orderId: again.id });
        await app.payForOrder.execute(buyer, again.id);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'USED', orderId: again.id });
        expect(await app.balance(buyer.userId)).to.equal(200_000 - (PRICE - 5_900));
      });

      it('a paid order cancelled (refunded first): the copy is REFUNDED', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        await app.cancelOrder.execute(buyer, order.id, null);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', usedAt: null, orderId: null });
      });

      it('a PREPARING order refunded: the copy is REFUNDED', async () => {
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        await app.advanceFulfilment.execute(seller, order.id, 'PREPARING');
        await app.refundOrder.execute(app.admin, order.id, 'out of stock');
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', usedAt: null, orderId: null });
      });

      it('a REFUNDED copy bound to an unpaid order that is cancelled stays REFUNDED', async () => {
        const { copy } = await issued();
        const first = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, first.id);
        await app.refundOrder.execute(buyer, first.id, null);
        const second = await app.order(buyer, product, copy.id);
        await app.cancelOrder.execute(buyer, second.id, null);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'REFUNDED', orderId: null, usedAt: null });
      });

      it('a fully discounted paid order refunded: nothing credited, the copy REFUNDED', async () => {
        const { copy } = await issued({ type: 'FIXED', discountValue: 1_000_000 });
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        const refund = await app.refundOrder.execute(buyer, order.id, null);
        expect(refund.amount).to.equal(0);
        expect(await app.ledger(buyer.userId)).to.deep.equal([]);
        expect((await app.copy(buyer, copy.id)).status).to.equal('REFUNDED');
      });
    });

    describe('with the sandbox gateway', () => {
      it('decline: PAYMENT_DECLINED, the order FAILED, the copy ISSUED again with no order, balance and stock back; the copy applies again', async () => {
        app = await couponApp(sandbox('decline'));
        seller = await app.seller();
        product = await app.product(seller, [{ name: '260', stock: 5 }]);
        optionId = product.options[0]!.id;
        buyer = await app.buyer(200_000);
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);

        await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'PAYMENT_DECLINED');

        expect(await app.status(order.id)).to.equal('FAILED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect(await app.balance(buyer.userId)).to.equal(200_000);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });

      it('approve: the copy is USED', async () => {
        app = await couponApp(sandbox('approve'));
        seller = await app.seller();
        product = await app.product(seller, [{ name: '260', stock: 5 }]);
        buyer = await app.buyer(200_000);
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        await app.payForOrder.execute(buyer, order.id);
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'USED', orderId: order.id });
        expect(await app.balance(buyer.userId)).to.equal(200_000 - (PRICE - 5_900));
      });

      it('timeout: while the order is PENDING the copy stays bound and cannot go on another order; recovery (not approved) gives it back', async () => {
        app = await couponApp(sandbox('timeout'));
        seller = await app.seller();
        product = await app.product(seller, [{ name: '260', stock: 5 }]);
        optionId = product.options[0]!.id;
        buyer = await app.buyer(200_000);
        const { copy } = await issued();
        const order = await app.order(buyer, product, copy.id);
        expect((await app.payForOrder.execute(buyer, order.id)).settled).to.equal(false);
        expect(await app.status(order.id)).to.equal('PENDING');
        expect(await app.copy(buyer, copy.id)).to.include({ status: 'ISSUED', orderId: order.id });

        await expectRejectsCode(app.order(buyer, product, copy.id), 'COUPON_NOT_APPLICABLE');
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });

        app.clock.advance(RECOVERY_AFTER_S * 1000 + 1_000);
        expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(1);
        expect(await app.status(order.id)).to.equal('FAILED');
        expect(await app.copy(buyer, copy.id)).to.deep.equal(copy);
        expect(await app.balance(buyer.userId)).to.equal(200_000);
        expect((await app.order(buyer, product, copy.id)).discountAmount).to.equal(5_900);
      });
    });
  });
});
