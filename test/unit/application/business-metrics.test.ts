import { expect } from 'chai';
import { SettleGatewayPayment } from '../../../src/application/ordering/settle-gateway-payment.js';
import { MemoryBusinessMetrics } from '../../../src/adapters/memory/business-metrics.js';
import { CountedCouponIssue } from '../../../src/application/coupons/counted-coupon-issue.js';
import { CancelOrder } from '../../../src/application/ordering/cancel-order.js';
import { ExpireReservations } from '../../../src/application/ordering/expire-reservations.js';
import { PayForOrder } from '../../../src/application/ordering/pay-for-order.js';
import { PlaceOrder } from '../../../src/application/ordering/place-order.js';
import { RefundOrder } from '../../../src/application/ordering/refund-order.js';
import { SettlePendingPayment } from '../../../src/application/ordering/settle-pending-payments.js';
import type { CreateCouponInput } from '../../../src/domain/coupon/coupon.js';
import { expectRejectsCode } from '../expect-error.js';
import { orderingApp, PRICE, ScriptedGateway, TEST_ADDRESS } from './ordering-app.js';

const ROLLED_BACK = 'the caller rolled its transaction back';

/** The ordering and coupon use cases over memory adapters, counting into a MemoryBusinessMetrics. */
async function countedApp(gateway?: ScriptedGateway) {
  const app = await orderingApp(gateway ? { gateway } : {});
  const metrics = new MemoryBusinessMetrics();
  const ctx = { ...app.ordering, metrics };
  const pay = new PayForOrder(ctx);
  const refund = new RefundOrder(ctx);
  return {
    app,
    metrics,
    placeOrder: new PlaceOrder(ctx),
    pay,
    cancel: new CancelOrder(ctx, refund),
    refund,
    expire: new ExpireReservations(ctx),
    settle: new SettlePendingPayment(ctx, new SettleGatewayPayment(ctx), { backoffSeconds: 0, maxAttempts: 0 }, { handedOver: () => {}, awaitingOperator: () => {} }),
    issue: new CountedCouponIssue(app.couponContext, metrics),
    createCoupon: app.createCoupon,
  };
}

/** Runs `work` in a transaction that the caller then rolls back (as an idempotent route's would on a later failure). */
async function thenRolledBack(app: Awaited<ReturnType<typeof orderingApp>>, work: () => Promise<unknown>): Promise<void> {
  const failed = await app.transactions
    .run(async () => {
      await work();
      throw new Error(ROLLED_BACK);
    })
    .catch((error: unknown) => error);
  expect(String(failed)).to.include(ROLLED_BACK);
}

describe('business counters count what committed, once', function () {
  it('an order placed and paid counts once its transaction commits; inside one that rolls back, nothing', async function () {
    const { app, metrics, placeOrder, pay } = await countedApp();
    const seller = await app.seller();
    const product = await app.product(seller, [{ name: 'ONE', stock: 5 }]);
    const buyer = await app.buyer(2 * PRICE);
    const line = { items: [{ productId: product.id, optionId: product.options[0]!.id, quantity: 1 }], shippingAddress: TEST_ADDRESS };

    await thenRolledBack(app, () => placeOrder.execute(buyer, line));
    expect(metrics.all()).to.deep.equal({});
    expect(await app.levels(product.options[0]!.id)).to.include({ reserved: 0 });

    const order = await placeOrder.execute(buyer, line);
    await thenRolledBack(app, () => pay.execute(buyer, order.id));
    expect(metrics.all()).to.deep.equal({ orders_placed_total: 1 });
    expect(await app.status(order.id)).to.equal('CREATED');

    // Inside a transaction still open, nothing yet; once it commits, counted.
    await app.transactions.run(async () => {
      await pay.execute(buyer, order.id);
      expect(metrics.count('orders_paid_total'), 'not before the commit').to.equal(0);
    });
    expect(metrics.all()).to.deep.equal({ orders_placed_total: 1, orders_paid_total: 1, 'payments_total{outcome="completed"}': 1 });
  });

  it('cancelled, expired and refunded orders; a want of stock and of balance are counted as answered', async function () {
    const { app, metrics, placeOrder, pay, cancel, refund, expire } = await countedApp();
    const seller = await app.seller();
    const product = await app.product(seller, [{ name: 'ONE', stock: 3 }]);
    const buyer = await app.buyer(PRICE);
    const broke = await app.buyer(0);
    const line = (quantity: number) => ({ items: [{ productId: product.id, optionId: product.options[0]!.id, quantity }], shippingAddress: TEST_ADDRESS });

    const cancelled = await placeOrder.execute(buyer, line(1));
    await cancel.execute(buyer, cancelled.id, null);
    const refunded = await placeOrder.execute(buyer, line(1));
    await pay.execute(buyer, refunded.id);
    await refund.execute(buyer, refunded.id, null);
    await expectRejectsCode(placeOrder.execute(buyer, line(4)), 'INSUFFICIENT_STOCK');
    const unpaid = await placeOrder.execute(broke, line(1));
    await expectRejectsCode(pay.execute(broke, unpaid.id), 'INSUFFICIENT_BALANCE');
    app.clock.advance(31_000);
    expect(await expire.execute()).to.equal(1);

    expect(metrics.all()).to.deep.equal({
      orders_placed_total: 3,
      orders_cancelled_total: 1,
      orders_paid_total: 1,
      'payments_total{outcome="completed"}': 1,
      refunds_total: 1,
      stock_conflicts_total: 1,
      'payments_total{outcome="insufficient_balance"}': 1,
      orders_expired_total: 1,
    });
  });

  it('an external gateway: declined, pending, and pending settled later count as they happen', async function () {
    let answer: 'DECLINED' | 'UNKNOWN' = 'DECLINED';
    const gateway = new ScriptedGateway(
      async () => answer,
      async () => 'APPROVED',
    );
    const { app, metrics, placeOrder, pay, settle } = await countedApp(gateway);
    const seller = await app.seller();
    const product = await app.product(seller, [{ name: 'ONE', stock: 3 }]);
    const buyer = await app.buyer(2 * PRICE);
    const line = { items: [{ productId: product.id, optionId: product.options[0]!.id, quantity: 1 }], shippingAddress: TEST_ADDRESS };

    await expectRejectsCode(pay.execute(buyer, (await placeOrder.execute(buyer, line)).id), 'PAYMENT_DECLINED');
    answer = 'UNKNOWN';
    const pending = await pay.execute(buyer, (await placeOrder.execute(buyer, line)).id);
    expect(pending.settled).to.equal(false);
    expect(metrics.all()).to.deep.equal({ orders_placed_total: 2, 'payments_total{outcome="declined"}': 1, payments_pending_total: 1 });

    await settle.confirm(buyer, pending.payment.id);
    await settle.confirm(buyer, pending.payment.id);
    expect(metrics.all()).to.deep.equal({
      orders_placed_total: 2,
      'payments_total{outcome="declined"}': 1,
      payments_pending_total: 1,
      'payments_total{outcome="completed"}': 1,
      orders_paid_total: 1,
    });
  });

  it('coupon issues by outcome; a copy issued in a transaction that rolls back is not counted, a 404 is no outcome', async function () {
    const { app, metrics, issue, createCoupon } = await countedApp();
    const now = app.clock.now().getTime();
    const input = (code: string, overrides: Partial<CreateCouponInput> = {}): CreateCouponInput => ({
      code,
      name: 'Sale',
      type: 'FIXED',
      discountValue: 1_000,
      totalQuantity: 1,
      validFrom: new Date(now - 1_000),
      validUntil: new Date(now + 86_400_000),
      ...overrides,
    });
    const one = await createCoupon.execute(app.admin, input('METRICS-ONE'));
    const later = await createCoupon.execute(app.admin, input('METRICS-LATER', { validFrom: new Date(now + 3_600_000) }));
    // Unlimited: no gate in front (the routes never issue inside a transaction of their own; the gate is not transactional).
    const open = await createCoupon.execute(app.admin, input('METRICS-OPEN', { totalQuantity: null }));
    const [a, b] = [await app.buyer(), await app.buyer()];

    await thenRolledBack(app, () => issue.execute(a, { couponId: open.id, limitedOnly: false }));
    expect(metrics.all()).to.deep.equal({});
    await issue.execute(a, { couponId: one.id, limitedOnly: false });
    await expectRejectsCode(issue.execute(a, { couponId: one.id, limitedOnly: false }), 'COUPON_ALREADY_ISSUED');
    await expectRejectsCode(issue.execute(b, { couponId: one.id, limitedOnly: true }), 'COUPON_EXHAUSTED');
    await expectRejectsCode(issue.execute(b, { couponId: later.id, limitedOnly: false }), 'COUPON_NOT_ISSUABLE');
    await expectRejectsCode(issue.execute(b, { couponId: 987_654, limitedOnly: false }), 'NOT_FOUND');

    expect(metrics.all()).to.deep.equal({
      'coupon_issues_total{outcome="issued"}': 1,
      'coupon_issues_total{outcome="already_issued"}': 1,
      'coupon_issues_total{outcome="exhausted"}': 1,
      'coupon_issues_total{outcome="not_issuable"}': 1,
    });
  });
});
