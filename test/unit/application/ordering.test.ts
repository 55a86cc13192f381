import { expect } from 'chai';
import type { ProductView } from '../../../src/application/catalog/product-view.js';
import type { RateLimited } from '../../../src/domain/shared/errors.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../expect-error.js';
import { type OrderingApp, orderingApp, PRICE, TEST_ADDRESS } from './ordering-app.js';

const UNKNOWN = 987_654;
const TTL_MS = 30_000;
const page = { page: 1, size: 20 };

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;
  let optionId: number;

  beforeEach(async () => {
    app = await orderingApp();
    seller = await app.seller();
    product = await app.product(seller, [{ name: '260', stock: 5 }]);
    optionId = product.options[0]!.id;
  });

  describe('PlaceOrder', () => {
    it('reserves the stock of every line, records OrderCreated, and answers the order with every field', async () => {
      const two = await app.product(seller, [
        { name: 'S', stock: 5 },
        { name: 'M', stock: 10 },
      ], 1_200);
      const [s, m] = two.options;
      const buyer = await app.buyer();
      const now = app.clock.now();

      const view = await app.placeLines(buyer, [
        { productId: product.id, optionId, quantity: 2 },
        { productId: two.id, optionId: m!.id, quantity: 3 },
      ]);

      expect(view).to.deep.equal({
        id: view.id,
        userId: buyer.userId,
        status: 'CREATED',
        items: [
          { id: view.items[0]!.id, productId: product.id, optionId, productName: 'Runner', optionName: '260', unitPrice: PRICE, quantity: 2, amount: 2 * PRICE, discountAmount: 0, status: 'ORDERED', digital: false, refundedQuantity: 0 },
          { id: view.items[1]!.id, productId: two.id, optionId: m!.id, productName: 'Runner', optionName: 'M', unitPrice: 1_200, quantity: 3, amount: 3_600, discountAmount: 0, status: 'ORDERED', digital: false, refundedQuantity: 0 },
        ],
        totalAmount: 2 * PRICE + 3_600,
        discountAmount: 0,
        finalAmount: 2 * PRICE + 3_600,
        userCouponId: null,
        reservationExpiresAt: new Date(now.getTime() + TTL_MS).toISOString(),
        cancelReason: null,
        shippingAddress: { ...TEST_ADDRESS, line2: null },
        payment: null,
        refunds: [],
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      });
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 2, sold: 0 });
      expect(await app.levels(m!.id)).to.deep.equal({ total: 10, reserved: 3, sold: 0 });
      expect(await app.levels(s!.id)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });

      const events = app.outbox.events();
      expect(events.map((e) => [e.type, e.aggregateType, e.aggregateId])).to.deep.equal([['OrderCreated', 'Order', view.id]]);
      expect(events[0]!.payload).to.deep.equal(view);
      expect(events[0]!.occurredAt).to.deep.equal(now);
      expect(await app.getOrder.execute(buyer, view.id)).to.deep.equal(view);
    });

    it('the reservation lasts ORDER_RESERVATION_TTL_SECONDS', async () => {
      app = await orderingApp({ env: { ORDER_RESERVATION_TTL_SECONDS: '120' } });
      const p = await app.product(await app.seller());
      const view = await app.place(await app.buyer(), p);
      expect(Date.parse(view.reservationExpiresAt) - Date.parse(view.createdAt)).to.equal(120_000);
    });

    it('a product read from the catalog cache shows the reservation straight after the order', async () => {
      expect((await app.getProduct.execute(product.id)).availableStock).to.equal(5);
      await app.place(await app.buyer(), product, 2);
      const after = await app.getProduct.execute(product.id);
      expect(after.availableStock).to.equal(3);
      expect(after.options[0]).to.include({ totalStock: 5, reservedStock: 2, availableStock: 3 });
    });

    it('an unknown product is NOT_FOUND; an unknown option, or another product’s option, is NOT_FOUND; nothing is reserved or recorded', async () => {
      const other = await app.product(seller, [{ name: 'x', stock: 5 }]);
      const buyer = await app.buyer();
      await expectRejectsCode(app.placeLines(buyer, [{ productId: UNKNOWN, optionId, quantity: 1 }]), 'NOT_FOUND');
      await expectRejectsCode(app.placeLines(buyer, [{ productId: product.id, optionId: UNKNOWN, quantity: 1 }]), 'NOT_FOUND');
      await expectRejectsCode(app.placeLines(buyer, [{ productId: product.id, optionId: other.options[0]!.id, quantity: 1 }]), 'NOT_FOUND');
      await expectRejectsCode(
        app.placeLines(buyer, [
          { productId: product.id, optionId, quantity: 1 },
          { productId: UNKNOWN, quantity: 1 },
        ]),
        'NOT_FOUND',
      );
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect((await app.orders.list({ ...page })).totalItems).to.equal(0);
      expect(app.events()).to.deep.equal([]);
    });

    it('a DISCONTINUED product is PRODUCT_UNAVAILABLE, and nothing is reserved', async () => {
      await app.changeProduct.execute(seller, product.id, { status: 'DISCONTINUED' });
      await expectRejectsCode(app.place(await app.buyer(), product), 'PRODUCT_UNAVAILABLE');
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });

    it('optionId may be left out for a product with one option', async () => {
      const view = await app.placeLines(await app.buyer(), [{ productId: product.id, quantity: 2 }]);
      expect(view.items[0]).to.include({ optionId, quantity: 2 });
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 2, sold: 0 });
    });

    it('leaving optionId out for a product with several options is VALIDATION_FAILED, naming the line', async () => {
      const two = await app.product(seller, [
        { name: 'S', stock: 5 },
        { name: 'M', stock: 5 },
      ]);
      const error = await expectRejectsCode(
        app.placeLines(await app.buyer(), [
          { productId: product.id, quantity: 1 },
          { productId: two.id, quantity: 1 },
        ]),
        'VALIDATION_FAILED',
      );
      expect(error).to.have.nested.property('errors[0].field', 'items.1.optionId');
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });

    it('the same option twice (once by its id, once left out) is VALIDATION_FAILED', async () => {
      await expectRejectsCode(
        app.placeLines(await app.buyer(), [
          { productId: product.id, optionId, quantity: 1 },
          { productId: product.id, quantity: 1 },
        ]),
        'VALIDATION_FAILED',
      );
    });

    it('more than 10 of one option is ORDER_LIMIT_EXCEEDED, before any stock is touched', async () => {
      const big = await app.product(seller, [{ name: 'big', stock: 100 }]);
      await expectRejectsCode(app.place(await app.buyer(), big, 11), 'ORDER_LIMIT_EXCEEDED');
      expect(await app.levels(big.options[0]!.id)).to.deep.equal({ total: 100, reserved: 0, sold: 0 });
    });

    for (const failingFirst of [false, true]) {
      it(`not enough stock for one line is INSUFFICIENT_STOCK and nothing is reserved for any line (short line ${failingFirst ? 'first' : 'last'})`, async () => {
        const short = await app.product(seller, [{ name: 'one left', stock: 1 }]);
        const lines = [
          { productId: product.id, optionId, quantity: 2 },
          { productId: short.id, optionId: short.options[0]!.id, quantity: 2 },
        ];
        const error = await expectRejectsCode(
          app.placeLines(await app.buyer(), failingFirst ? lines.reverse() : lines),
          'INSUFFICIENT_STOCK',
        );
        expect(error).to.have.property('optionId', short.options[0]!.id);
        // The buyer knows lines, not option ids: the detail names the line that ran short.
        expect((error as Error).message).to.match(new RegExp(`^Line ${failingFirst ? 1 : 2} \\(Runner / one left\\)`));
        expect((error as Error).message).to.include('only 1 available, 2 requested');
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        expect(await app.levels(short.options[0]!.id)).to.deep.equal({ total: 1, reserved: 0, sold: 0 });
        expect((await app.orders.list({ ...page })).totalItems).to.equal(0);
        expect(app.events()).to.deep.equal([]);
      });
    }

    it('the last units go to one order; the next is INSUFFICIENT_STOCK', async () => {
      await app.place(await app.buyer(), product, 5);
      await expectRejectsCode(app.place(await app.buyer(), product, 1), 'INSUFFICIENT_STOCK');
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 5, sold: 0 });
    });

    it('any userCouponId is COUPON_NOT_APPLICABLE, and nothing is reserved or recorded', async () => {
      await expectRejectsCode(
        app.placeOrder.execute(await app.buyer(), { items: [{ productId: product.id, optionId, quantity: 1 }], userCouponId: 1, shippingAddress: TEST_ADDRESS }),
        'COUPON_NOT_APPLICABLE',
      );
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect((await app.orders.list({ ...page })).totalItems).to.equal(0);
      expect(app.events()).to.deep.equal([]);
    });

    it('admit: with RATE_LIMIT_ORDERS_PER_SECOND=1 a second order in the same second is RATE_LIMITED (retry after 1 s); a second later it is allowed', async () => {
      app = await orderingApp({ env: { RATE_LIMIT_ORDERS_PER_SECOND: '1' } });
      const buyer = await app.buyer();
      const other = await app.buyer();
      await app.placeOrder.admit(buyer);
      const error = (await expectRejectsCode(app.placeOrder.admit(buyer), 'RATE_LIMITED')) as RateLimited;
      expect(error.retryAfterSeconds).to.equal(1);
      // Per user: someone else is not held back.
      await app.placeOrder.admit(other);
      app.clock.advance(1_000);
      await app.placeOrder.admit(buyer);
    });

    it('admit never refuses when the limit is switched off (0)', async () => {
      app = await orderingApp({ env: { RATE_LIMIT_ORDERS_PER_SECOND: '0' } });
      const buyer = await app.buyer();
      for (let i = 0; i < 5; i += 1) await app.placeOrder.admit(buyer);
    });
  });

  describe('PlaceOrder: MAX_UNPAID_ORDERS_PER_USER (stock hoarding)', () => {
    let buyer: Actor;
    beforeEach(async () => {
      app = await orderingApp({ env: { MAX_UNPAID_ORDERS_PER_USER: '3' } });
      seller = await app.seller();
      product = await app.product(seller, [{ name: '260', stock: 50 }]);
      optionId = product.options[0]!.id;
      // No balance at all: placing stays allowed, the orders wait for a charge.
      buyer = await app.buyer();
    });

    it('a 4th live unpaid order is RATE_LIMITED, saying why, retry when the earliest reservation runs out; nothing reserved or recorded', async () => {
      const first = await app.place(buyer, product);
      app.clock.advance(10_000);
      await app.place(buyer, product);
      await app.place(buyer, product);
      const error = (await expectRejectsCode(app.place(buyer, product), 'RATE_LIMITED')) as RateLimited;
      expect(error.message).to.equal('You have 3 unpaid orders (at most 3); pay or cancel one before placing another');
      // The first was placed 10 s ago with a 30 s reservation.
      expect(new Date(first.reservationExpiresAt).getTime() - app.clock.now().getTime()).to.equal(TTL_MS - 10_000);
      expect(error.retryAfterSeconds).to.equal(20);
      expect(await app.levels(optionId)).to.deep.equal({ total: 50, reserved: 3, sold: 0 });
      expect((await app.orders.list({ ...page, userId: buyer.userId })).totalItems).to.equal(3);
    });

    it('per user: another buyer is not held back', async () => {
      for (let i = 0; i < 3; i += 1) await app.place(buyer, product);
      await app.place(await app.buyer(), product);
    });

    it('a cancelled, a paid or a swept (expired) order frees a slot', async () => {
      const orders = [await app.place(buyer, product), await app.place(buyer, product), await app.place(buyer, product)];
      await expectRejectsCode(app.place(buyer, product), 'RATE_LIMITED');

      await app.cancelOrder.execute(buyer, orders[0]!.id, null);
      const fourth = await app.place(buyer, product);
      await expectRejectsCode(app.place(buyer, product), 'RATE_LIMITED');

      await app.charge(buyer.userId, PRICE);
      await app.payForOrder.execute(buyer, fourth.id);
      await app.place(buyer, product);
      await expectRejectsCode(app.place(buyer, product), 'RATE_LIMITED');

      app.clock.advance(TTL_MS);
      expect(await app.expireReservations.execute()).to.equal(3);
      for (let i = 0; i < 3; i += 1) await app.place(buyer, product);
      await expectRejectsCode(app.place(buyer, product), 'RATE_LIMITED');
    });

    it('an expired order not yet swept still holds its stock, so it still counts; Retry-After is at least 1 s', async () => {
      for (let i = 0; i < 3; i += 1) await app.place(buyer, product);
      app.clock.advance(TTL_MS + 5_000);
      const error = (await expectRejectsCode(app.place(buyer, product), 'RATE_LIMITED')) as RateLimited;
      expect(error.retryAfterSeconds).to.equal(1);
    });

    it('switched off (0, as the tests run): no limit', async () => {
      app = await orderingApp();
      product = await app.product(await app.seller(), [{ name: '260', stock: 50 }]);
      const anyone = await app.buyer();
      for (let i = 0; i < 12; i += 1) await app.place(anyone, product);
    });
  });

  describe('CancelOrder', () => {
    it('CREATED → CANCELLED: the stock is released, OrderCancelled recorded; no reason → CANCELLED_BY_USER', async () => {
      const buyer = await app.buyer();
      const order = await app.place(buyer, product, 2);
      app.clock.advance(5_000);
      const cancelled = await app.cancelOrder.execute(buyer, order.id, null);
      expect(cancelled).to.include({ status: 'CANCELLED', cancelReason: 'CANCELLED_BY_USER', payment: null });
      expect(cancelled.updatedAt).to.equal(app.clock.now().toISOString());
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect(app.events(order.id)).to.deep.equal([
        ['OrderCreated', order.id],
        ['OrderCancelled', order.id],
      ]);
      expect(app.outbox.events().at(-1)!.payload).to.deep.equal(cancelled);
    });

    it('a blank reason counts as none', async () => {
      const buyer = await app.buyer();
      const order = await app.place(buyer, product);
      expect((await app.cancelOrder.execute(buyer, order.id, '   ')).cancelReason).to.equal('CANCELLED_BY_USER');
    });

    it('keeps the reason given; an ADMIN may cancel anyone’s order', async () => {
      const buyer = await app.buyer();
      const order = await app.place(buyer, product);
      const cancelled = await app.cancelOrder.execute(app.admin, order.id, 'changed my mind');
      expect(cancelled).to.include({ status: 'CANCELLED', cancelReason: 'changed my mind' });
    });

    it('an unpaid order past its expiry that the sweeper has not reached yet may still be cancelled (once)', async () => {
      const buyer = await app.buyer();
      const order = await app.place(buyer, product, 2);
      app.clock.advance(TTL_MS + 1_000);
      await app.cancelOrder.execute(buyer, order.id, null);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect(await app.expireReservations.execute()).to.equal(0);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });

    it('CONFIRMED → refunded first: balance back, stock back, RefundCompleted and OrderCancelled recorded', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });

      const cancelled = await app.cancelOrder.execute(buyer, order.id, null);

      expect(cancelled).to.include({ status: 'CANCELLED', cancelReason: 'REFUNDED' });
      expect(cancelled.payment).to.include({ status: 'REFUNDED', amount: PRICE, refundedAmount: PRICE });
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.ledger(buyer.userId)).to.deep.equal([
        { type: 'PAYMENT', amount: -PRICE, orderId: order.id },
        { type: 'REFUND', amount: PRICE, orderId: order.id },
      ]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect((await app.refunds.forOrder(order.id)).map((r) => [r.status, r.amount])).to.deep.equal([['REFUNDED', PRICE]]);
      expect(app.events(order.id).map(([type]) => type)).to.deep.equal([
        'OrderCreated',
        'PaymentCompleted',
        'RefundCompleted',
        'OrderCancelled',
      ]);
    });

    it('PREPARING → refunded first too', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      await app.advanceFulfilment.execute(seller, order.id, 'PREPARING');
      const cancelled = await app.cancelOrder.execute(buyer, order.id, 'too slow');
      expect(cancelled).to.include({ status: 'CANCELLED', cancelReason: 'too slow' });
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });

    it('SHIPPED is INVALID_STATE, and nothing changes', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      await app.advanceFulfilment.execute(seller, order.id, 'PREPARING');
      await app.advanceFulfilment.execute(seller, order.id, 'SHIPPED');
      const events = app.events().length;
      await expectRejectsCode(app.cancelOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      expect(await app.status(order.id)).to.equal('SHIPPED');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      expect(app.events()).to.have.length(events);
    });

    it('an order already CANCELLED is INVALID_STATE, and the stock is not released twice', async () => {
      const buyer = await app.buyer();
      const order = await app.place(buyer, product, 2);
      await app.place(await app.buyer(), product, 3);
      await app.cancelOrder.execute(buyer, order.id, null);
      await expectRejectsCode(app.cancelOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 3, sold: 0 });
    });

    it('someone else’s order is FORBIDDEN (a BUYER, or the SELLER of its items); an unknown one NOT_FOUND', async () => {
      const buyer = await app.buyer();
      const order = await app.place(buyer, product, 2);
      await expectRejectsCode(app.cancelOrder.execute(await app.buyer(), order.id, null), 'FORBIDDEN');
      await expectRejectsCode(app.cancelOrder.execute(seller, order.id, null), 'FORBIDDEN');
      await expectRejectsCode(app.cancelOrder.execute(buyer, UNKNOWN, null), 'NOT_FOUND');
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 2, sold: 0 });
    });
  });

  describe('RefundOrder', () => {
    it('a CONFIRMED order is refunded once: the refund, the balance, the stock, the order CANCELLED', async () => {
      const buyer = await app.buyer(200_000);
      const order = await app.paid(buyer, product, 2);
      const payment = (await app.payments.latestFor(order.id))!;
      app.clock.advance(60_000);

      const refund = await app.refundOrder.execute(buyer, order.id, 'wrong size');

      expect(refund).to.deep.equal({
        id: refund.id,
        orderId: order.id,
        paymentId: payment.id,
        amount: 2 * PRICE,
        status: 'REFUNDED',
        reason: 'wrong size',
        items: [{ orderItemId: order.items[0]!.id, quantity: 2, amount: 2 * PRICE, discountAmount: 0 }],
        createdAt: app.clock.now().toISOString(),
      });
      expect((await app.orders.get(order.id))!.toSnapshot()).to.include({ status: 'CANCELLED', cancelReason: 'wrong size' });
      expect(await app.balance(buyer.userId)).to.equal(200_000);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });

    it('a blank reason counts as none: the refund has no reason and the order’s is REFUNDED', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      expect((await app.refundOrder.execute(buyer, order.id, '  ')).reason).to.equal(null);
      expect((await app.orders.get(order.id))!.toSnapshot().cancelReason).to.equal('REFUNDED');
    });

    it('a second refund is INVALID_STATE, and the money comes back only once', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      await app.refundOrder.execute(buyer, order.id, null);
      await expectRejectsCode(app.refundOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      await expectRejectsCode(app.refundOrder.execute(app.admin, order.id, null), 'INVALID_STATE');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect((await app.ledger(buyer.userId)).map((e) => e.type)).to.deep.equal(['PAYMENT', 'REFUND']);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect(app.events(order.id).filter(([type]) => type === 'RefundCompleted')).to.have.length(1);
    });

    it('an unpaid (CREATED) order is INVALID_STATE: nothing to refund, nothing changes', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.place(buyer, product, 1);
      await expectRejectsCode(app.refundOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
    });

    it('a SHIPPED order is INVALID_STATE', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      await app.advanceFulfilment.execute(seller, order.id, 'PREPARING');
      await app.advanceFulfilment.execute(seller, order.id, 'SHIPPED');
      await expectRejectsCode(app.refundOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
    });

    it('another buyer is FORBIDDEN; an ADMIN may refund; an unknown order is NOT_FOUND', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      await expectRejectsCode(app.refundOrder.execute(await app.buyer(), order.id, null), 'FORBIDDEN');
      await expectRejectsCode(app.refundOrder.execute(seller, order.id, null), 'FORBIDDEN');
      await expectRejectsCode(app.refundOrder.execute(buyer, UNKNOWN, null), 'NOT_FOUND');
      expect((await app.refundOrder.execute(app.admin, order.id, null)).status).to.equal('REFUNDED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
    });

    it('the balance cap does not block a refund', async () => {
      app = await orderingApp({ env: { WALLET_MAX_BALANCE: '100000' } });
      const p = await app.product(await app.seller());
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, p, 1);
      await app.charge(buyer.userId, PRICE);
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      await app.refundOrder.execute(buyer, order.id, null);
      expect(await app.balance(buyer.userId)).to.equal(100_000 + PRICE);
    });
  });

  describe('AdvanceFulfilment', () => {
    let buyer: Actor;
    let orderId: number;
    beforeEach(async () => {
      buyer = await app.buyer(100_000);
      orderId = (await app.paid(buyer, product, 1)).id;
    });

    it('a BUYER is FORBIDDEN, even the order’s own', async () => {
      await expectRejectsCode(app.advanceFulfilment.execute(buyer, orderId, 'PREPARING'), 'FORBIDDEN');
      await expectRejectsCode(app.advanceFulfilment.execute(await app.buyer(), orderId, 'PREPARING'), 'FORBIDDEN');
      expect(await app.status(orderId)).to.equal('CONFIRMED');
    });

    it('a SELLER with no item in the order is FORBIDDEN', async () => {
      await expectRejectsCode(app.advanceFulfilment.execute(await app.seller(), orderId, 'PREPARING'), 'FORBIDDEN');
      expect(await app.status(orderId)).to.equal('CONFIRMED');
    });

    it('the product’s seller and an ADMIN move it one step at a time, up to DELIVERED; the seller is answered their view, the ADMIN the whole order', async () => {
      app.clock.advance(1_000);
      const preparing = await app.advanceFulfilment.execute(seller, orderId, 'PREPARING');
      expect(preparing).to.include({ status: 'PREPARING', updatedAt: app.clock.now().toISOString() });
      expect(preparing).to.not.have.any.keys('payment', 'totalAmount');
      expect(preparing).to.deep.include({ sellerView: { sellerId: seller.userId, status: 'PREPARING', itemsAmount: PRICE, discountAmount: 0, finalAmount: PRICE } });
      const shipped = await app.advanceFulfilment.execute(app.admin, orderId, 'SHIPPED');
      expect(shipped.status).to.equal('SHIPPED');
      expect(shipped.payment).to.include({ status: 'COMPLETED' });
      expect((await app.advanceFulfilment.execute(seller, orderId, 'DELIVERED')).status).to.equal('DELIVERED');
    });

    it('skipping a step, repeating one or going back is INVALID_STATE', async () => {
      await expectRejectsCode(app.advanceFulfilment.execute(seller, orderId, 'SHIPPED'), 'INVALID_STATE');
      await expectRejectsCode(app.advanceFulfilment.execute(seller, orderId, 'DELIVERED'), 'INVALID_STATE');
      await app.advanceFulfilment.execute(seller, orderId, 'PREPARING');
      await expectRejectsCode(app.advanceFulfilment.execute(seller, orderId, 'PREPARING'), 'INVALID_STATE');
      await app.advanceFulfilment.execute(seller, orderId, 'SHIPPED');
      await expectRejectsCode(app.advanceFulfilment.execute(app.admin, orderId, 'PREPARING'), 'INVALID_STATE');
      expect(await app.status(orderId)).to.equal('SHIPPED');
    });

    it('an unpaid order cannot be fulfilled (INVALID_STATE)', async () => {
      const unpaid = await app.place(buyer, product, 1);
      await expectRejectsCode(app.advanceFulfilment.execute(seller, unpaid.id, 'PREPARING'), 'INVALID_STATE');
      expect(await app.status(unpaid.id)).to.equal('CREATED');
    });

    it('an unknown order is NOT_FOUND for a seller and an ADMIN', async () => {
      await expectRejectsCode(app.advanceFulfilment.execute(seller, UNKNOWN, 'PREPARING'), 'NOT_FOUND');
      await expectRejectsCode(app.advanceFulfilment.execute(app.admin, UNKNOWN, 'PREPARING'), 'NOT_FOUND');
    });

    describe('an order with items of two sellers', () => {
      let other: Actor;
      let mixedId: number;
      beforeEach(async () => {
        other = await app.seller();
        const theirs = await app.product(other, [{ name: 'x', stock: 5 }], 1_000);
        await app.charge(buyer.userId, PRICE + 2_000);
        const mixed = await app.placeLines(buyer, [
          { productId: product.id, optionId, quantity: 1 },
          { productId: theirs.id, quantity: 2 },
        ]);
        await app.payForOrder.execute(buyer, mixed.id);
        mixedId = mixed.id;
      });
      const lines = async () => (await app.orders.get(mixedId))!.items.map((i) => [i.sellerId, i.status]);

      it('each seller moves only their own lines; the order is PREPARING until both shipped, then SHIPPED, DELIVERED', async () => {
        const first = await app.advanceFulfilment.execute(seller, mixedId, 'PREPARING');
        expect(first).to.deep.include({ status: 'PREPARING', sellerView: { sellerId: seller.userId, status: 'PREPARING', itemsAmount: PRICE, discountAmount: 0, finalAmount: PRICE } });
        expect(first.items.map((i) => i.productId)).to.deep.equal([product.id]);
        expect(await lines()).to.deep.equal([
          [seller.userId, 'PREPARING'],
          [other.userId, 'ORDERED'],
        ]);
        await app.advanceFulfilment.execute(seller, mixedId, 'SHIPPED');
        expect(await app.status(mixedId)).to.equal('PREPARING');
        await app.advanceFulfilment.execute(other, mixedId, 'PREPARING');
        const theirs = await app.advanceFulfilment.execute(other, mixedId, 'SHIPPED');
        expect(theirs).to.deep.include({ status: 'SHIPPED', sellerView: { sellerId: other.userId, status: 'SHIPPED', itemsAmount: 2_000, discountAmount: 0, finalAmount: 2_000 } });
        await app.advanceFulfilment.execute(other, mixedId, 'DELIVERED');
        expect(await app.status(mixedId)).to.equal('SHIPPED');
        await app.advanceFulfilment.execute(seller, mixedId, 'DELIVERED');
        expect(await app.status(mixedId)).to.equal('DELIVERED');
        expect((await app.completeOrder.execute(buyer, mixedId)).status).to.equal('COMPLETED');
      });

      it('a seller skipping a step is INVALID_STATE, whatever the other did; a seller naming another seller is FORBIDDEN', async () => {
        await app.advanceFulfilment.execute(seller, mixedId, 'PREPARING');
        await app.advanceFulfilment.execute(seller, mixedId, 'SHIPPED');
        await expectRejectsCode(app.advanceFulfilment.execute(other, mixedId, 'SHIPPED'), 'INVALID_STATE');
        await expectRejectsCode(app.advanceFulfilment.execute(seller, mixedId, 'SHIPPED'), 'INVALID_STATE');
        await expectRejectsCode(app.advanceFulfilment.execute(other, mixedId, 'PREPARING', seller.userId), 'FORBIDDEN');
        expect(await lines()).to.deep.equal([
          [seller.userId, 'SHIPPED'],
          [other.userId, 'ORDERED'],
        ]);
      });

      it('an ADMIN moves one seller’s lines with sellerId (NOT_FOUND for a seller with none), or every line right before the step', async () => {
        const one = await app.advanceFulfilment.execute(app.admin, mixedId, 'PREPARING', other.userId);
        expect(one).to.include({ status: 'PREPARING', totalAmount: PRICE + 2_000 });
        expect(await lines()).to.deep.equal([
          [seller.userId, 'ORDERED'],
          [other.userId, 'PREPARING'],
        ]);
        await expectRejectsCode(app.advanceFulfilment.execute(app.admin, mixedId, 'PREPARING', (await app.seller()).userId), 'NOT_FOUND');
        // Every line: only the ORDERED one can move to PREPARING; SHIPPED would skip a step for it.
        await expectRejectsCode(app.advanceFulfilment.execute(app.admin, mixedId, 'SHIPPED'), 'INVALID_STATE');
        await app.advanceFulfilment.execute(app.admin, mixedId, 'PREPARING');
        expect((await app.advanceFulfilment.execute(app.admin, mixedId, 'SHIPPED')).status).to.equal('SHIPPED');
        expect(await lines()).to.deep.equal([
          [seller.userId, 'SHIPPED'],
          [other.userId, 'SHIPPED'],
        ]);
      });

      it('a refund (or a cancel) works while nothing shipped, and is INVALID_STATE once one seller shipped, though the order is still PREPARING', async () => {
        await app.advanceFulfilment.execute(seller, mixedId, 'PREPARING');
        await app.advanceFulfilment.execute(seller, mixedId, 'SHIPPED');
        expect(await app.status(mixedId)).to.equal('PREPARING');
        await expectRejectsCode(app.refundOrder.execute(buyer, mixedId, null), 'INVALID_STATE');
        await expectRejectsCode(app.cancelOrder.execute(buyer, mixedId, null), 'INVALID_STATE');
        expect(await app.status(mixedId)).to.equal('PREPARING');
      });

      it('a refund of a PREPARING order none of whose lines shipped still goes through', async () => {
        await app.advanceFulfilment.execute(seller, mixedId, 'PREPARING');
        expect((await app.refundOrder.execute(buyer, mixedId, null)).status).to.equal('REFUNDED');
        expect(await app.status(mixedId)).to.equal('CANCELLED');
        await expectRejectsCode(app.advanceFulfilment.execute(other, mixedId, 'PREPARING'), 'INVALID_STATE');
      });
    });
  });

  describe('CompleteOrder', () => {
    let buyer: Actor;
    let orderId: number;
    beforeEach(async () => {
      buyer = await app.buyer(100_000);
      orderId = (await app.paid(buyer, product, 1)).id;
    });

    const deliver = async () => {
      for (const step of ['PREPARING', 'SHIPPED', 'DELIVERED'] as const) await app.advanceFulfilment.execute(seller, orderId, step);
    };

    it('the buyer confirms a DELIVERED order: COMPLETED', async () => {
      await deliver();
      app.clock.advance(1_000);
      const completed = await app.completeOrder.execute(buyer, orderId);
      expect(completed).to.include({ status: 'COMPLETED', updatedAt: app.clock.now().toISOString() });
      expect(await app.status(orderId)).to.equal('COMPLETED');
    });

    it('only the buyer: an ADMIN, the seller and another buyer are FORBIDDEN', async () => {
      await deliver();
      await expectRejectsCode(app.completeOrder.execute(app.admin, orderId), 'FORBIDDEN');
      await expectRejectsCode(app.completeOrder.execute(seller, orderId), 'FORBIDDEN');
      await expectRejectsCode(app.completeOrder.execute(await app.buyer(), orderId), 'FORBIDDEN');
      expect(await app.status(orderId)).to.equal('DELIVERED');
    });

    it('before delivery (CONFIRMED, SHIPPED) it is INVALID_STATE; after completion too', async () => {
      await expectRejectsCode(app.completeOrder.execute(buyer, orderId), 'INVALID_STATE');
      await app.advanceFulfilment.execute(seller, orderId, 'PREPARING');
      await app.advanceFulfilment.execute(seller, orderId, 'SHIPPED');
      await expectRejectsCode(app.completeOrder.execute(buyer, orderId), 'INVALID_STATE');
      await app.advanceFulfilment.execute(seller, orderId, 'DELIVERED');
      await app.completeOrder.execute(buyer, orderId);
      await expectRejectsCode(app.completeOrder.execute(buyer, orderId), 'INVALID_STATE');
      await expectRejectsCode(app.cancelOrder.execute(buyer, orderId, null), 'INVALID_STATE');
      await expectRejectsCode(app.refundOrder.execute(buyer, orderId, null), 'INVALID_STATE');
    });

    it('an unknown order is NOT_FOUND', async () => {
      await expectRejectsCode(app.completeOrder.execute(buyer, UNKNOWN), 'NOT_FOUND');
    });
  });

  describe('ExpireReservations (the sweeper)', () => {
    it('cancels only CREATED orders past their expiry (reason EXPIRED), releases their stock, records OrderCancelled, returns the count', async () => {
      const stocked = await app.product(seller, [{ name: 'big', stock: 20 }]);
      const big = stocked.options[0]!.id;
      const buyer = await app.buyer(100_000);
      const early1 = await app.place(buyer, stocked, 2);
      const early2 = await app.place(await app.buyer(), stocked, 3);
      const paid = await app.paid(buyer, stocked, 1);
      const cancelled = await app.place(buyer, stocked, 1);
      await app.cancelOrder.execute(buyer, cancelled.id, null);
      app.clock.advance(10_000);
      const late = await app.place(buyer, stocked, 4);
      expect(await app.levels(big)).to.deep.equal({ total: 19, reserved: 9, sold: 1 });

      app.clock.advance(TTL_MS - 10_000); // exactly the expiry of the early orders
      expect(await app.expireReservations.execute()).to.equal(2);

      for (const id of [early1.id, early2.id]) {
        expect((await app.orders.get(id))!.toSnapshot()).to.include({ status: 'CANCELLED', cancelReason: 'EXPIRED' });
        expect(app.events(id).map(([type]) => type)).to.deep.equal(['OrderCreated', 'OrderCancelled']);
      }
      expect(await app.status(paid.id)).to.equal('CONFIRMED');
      expect((await app.orders.get(cancelled.id))!.toSnapshot().cancelReason).to.equal('CANCELLED_BY_USER');
      expect(await app.status(late.id)).to.equal('CREATED');
      expect(await app.levels(big)).to.deep.equal({ total: 19, reserved: 4, sold: 1 });

      const events = app.events().length;
      expect(await app.expireReservations.execute()).to.equal(0);
      expect(app.events()).to.have.length(events);
      expect(await app.levels(big)).to.deep.equal({ total: 19, reserved: 4, sold: 1 });

      app.clock.advance(10_000);
      expect(await app.expireReservations.execute()).to.equal(1);
      expect((await app.orders.get(late.id))!.toSnapshot().cancelReason).to.equal('EXPIRED');
      expect(await app.levels(big)).to.deep.equal({ total: 19, reserved: 0, sold: 1 });
    });

    it('nothing is cancelled a millisecond before the expiry', async () => {
      const order = await app.place(await app.buyer(), product, 1);
      app.clock.advance(TTL_MS - 1);
      expect(await app.expireReservations.execute()).to.equal(0);
      expect(await app.status(order.id)).to.equal('CREATED');
    });

    it('works in batches of the size asked', async () => {
      for (let i = 0; i < 3; i += 1) await app.place(await app.buyer(), product, 1);
      app.clock.advance(TTL_MS);
      expect(await app.expireReservations.execute(2)).to.equal(2);
      expect(await app.expireReservations.execute(2)).to.equal(1);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });
  });

  describe('the catalog (cached) shows every stock move an order makes', () => {
    const shown = async () => (await app.getProduct.execute(product.id)).options[0]!;

    it('pay, refund, cancel and expiry each show at once in a product read from the cache', async () => {
      const buyer = await app.buyer(200_000);
      expect(await shown()).to.include({ totalStock: 5, reservedStock: 0, availableStock: 5 });

      const paid = await app.place(buyer, product, 2);
      expect(await shown()).to.include({ totalStock: 5, reservedStock: 2, availableStock: 3 });
      await app.payForOrder.execute(buyer, paid.id);
      expect(await shown()).to.include({ totalStock: 3, reservedStock: 0, availableStock: 3 });
      await app.refundOrder.execute(buyer, paid.id, null);
      expect(await shown()).to.include({ totalStock: 5, reservedStock: 0, availableStock: 5 });

      const cancelled = await app.place(buyer, product, 1);
      expect(await shown()).to.include({ reservedStock: 1 });
      await app.cancelOrder.execute(buyer, cancelled.id, null);
      expect(await shown()).to.include({ reservedStock: 0, availableStock: 5 });

      await app.place(buyer, product, 3);
      app.clock.advance(TTL_MS - 1_000);
      expect(await shown()).to.include({ reservedStock: 3 });
      app.clock.advance(1_000);
      expect(await app.expireReservations.execute()).to.equal(1);
      expect(await shown()).to.include({ reservedStock: 0, availableStock: 5 });
    });
  });

  describe('GetOrder and ListOrders', () => {
    it('GetOrder: the buyer, an ADMIN and a seller of an item may read it; another buyer or seller is FORBIDDEN; unknown NOT_FOUND', async () => {
      const buyer = await app.buyer();
      const order = await app.place(buyer, product, 1);
      expect(await app.getOrder.execute(buyer, order.id)).to.deep.equal(order);
      expect(await app.getOrder.execute(app.admin, order.id)).to.deep.equal(order);
      // The seller sees their lines and what they come to, never the order's payment or totals.
      expect(await app.getOrder.execute(seller, order.id)).to.deep.equal({
        id: order.id,
        userId: buyer.userId,
        status: 'CREATED',
        items: order.items,
        sellerView: { sellerId: seller.userId, status: 'ORDERED', itemsAmount: PRICE, discountAmount: 0, finalAmount: PRICE },
        // The seller ships there.
        shippingAddress: order.shippingAddress,
        cancelReason: null,
        createdAt: order.createdAt,
        updatedAt: order.updatedAt,
      });
      await expectRejectsCode(app.getOrder.execute(await app.buyer(), order.id), 'FORBIDDEN');
      await expectRejectsCode(app.getOrder.execute(await app.seller(), order.id), 'FORBIDDEN');
      await expectRejectsCode(app.getOrder.execute(buyer, UNKNOWN), 'NOT_FOUND');
    });

    it('GetOrder shows the latest payment once there is one', async () => {
      const buyer = await app.buyer(100_000);
      const order = await app.paid(buyer, product, 1);
      const view = await app.getOrder.execute(buyer, order.id);
      const payment = (await app.payments.latestFor(order.id))!;
      expect(view.status).to.equal('CONFIRMED');
      expect(view.payment).to.deep.equal({
        id: payment.id,
        orderId: order.id,
        amount: PRICE,
        status: 'COMPLETED',
        failureReason: null,
        refundedAmount: 0,
        createdAt: app.clock.now().toISOString(),
        updatedAt: app.clock.now().toISOString(),
      });
    });

    it('ListOrders: a buyer sees their own orders, newest first, with paging and a status filter; an ADMIN sees everyone’s', async () => {
      const stocked = await app.product(seller, [{ name: 'big', stock: 20 }]);
      const buyer = await app.buyer(100_000);
      const other = await app.buyer();
      const first = await app.place(buyer, stocked, 1);
      app.clock.advance(1_000);
      const second = await app.paid(buyer, stocked, 1);
      app.clock.advance(1_000);
      const theirs = await app.place(other, stocked, 1);

      const mine = await app.listOrders.execute(buyer, page);
      expect(mine.items.map((o) => o.id)).to.deep.equal([second.id, first.id]);
      expect(mine).to.include({ totalItems: 2, page: 1, size: 20, totalPages: 1 });
      expect(mine.items[0]!.payment).to.include({ status: 'COMPLETED' });
      expect(mine.items[1]!.payment).to.equal(null);

      expect((await app.listOrders.execute(buyer, { ...page, status: 'CONFIRMED' })).items.map((o) => o.id)).to.deep.equal([second.id]);
      const paged = await app.listOrders.execute(buyer, { page: 2, size: 1 });
      expect(paged.items.map((o) => o.id)).to.deep.equal([first.id]);
      expect(paged).to.include({ totalItems: 2, totalPages: 2 });

      const all = await app.listOrders.execute(app.admin, page);
      expect(all.items.map((o) => o.id)).to.deep.equal([theirs.id, second.id, first.id]);
      expect((await app.listOrders.execute(other, page)).items.map((o) => o.id)).to.deep.equal([theirs.id]);
      // A seller's list is the orders of their products, as they see them; their own purchases with as=buyer.
      const sold = await app.listOrders.execute(seller, page);
      expect(sold.items.map((o) => o.id)).to.deep.equal([theirs.id, second.id, first.id]);
      expect(sold.items.map((o) => 'sellerView' in o)).to.deep.equal([true, true, true]);
      expect(await app.listOrders.execute(seller, { ...page, as: 'seller' })).to.deep.equal(sold);
      expect((await app.listOrders.execute(seller, { ...page, status: 'CONFIRMED' })).items.map((o) => o.id)).to.deep.equal([second.id]);
      expect((await app.listOrders.execute(seller, { ...page, as: 'buyer' })).totalItems).to.equal(0);
      expect((await app.listOrders.execute(app.admin, { ...page, as: 'buyer' })).totalItems).to.equal(0);
      await expectRejectsCode(app.listOrders.execute(seller, { ...page, as: 'all' }), 'FORBIDDEN');
      await expectRejectsCode(app.listOrders.execute(buyer, { ...page, as: 'seller' }), 'FORBIDDEN');
      await expectRejectsCode(app.listOrders.execute(buyer, { ...page, as: 'all' }), 'FORBIDDEN');
    });

    it('ListOrders as=seller: only orders holding the seller’s lines, each with only those lines; another seller’s prices never show', async () => {
      const other = await app.seller();
      const theirs = await app.product(other, [{ name: 'x', stock: 5 }], 1_000);
      const buyer = await app.buyer(100_000);
      const mixed = await app.placeLines(buyer, [
        { productId: product.id, optionId, quantity: 1 },
        { productId: theirs.id, quantity: 3 },
      ]);
      app.clock.advance(1_000);
      const onlyTheirs = await app.placeLines(buyer, [{ productId: theirs.id, quantity: 1 }]);

      const mine = await app.listOrders.execute(seller, page);
      expect(mine.items.map((o) => o.id)).to.deep.equal([mixed.id]);
      const view = mine.items[0]!;
      expect(view.items.map((i) => i.productId)).to.deep.equal([product.id]);
      expect(JSON.stringify(view)).to.not.include('3000');
      const seen = await app.listOrders.execute(other, page);
      expect(seen.items.map((o) => o.id)).to.deep.equal([onlyTheirs.id, mixed.id]);
      expect(seen.items[1]).to.deep.include({ sellerView: { sellerId: other.userId, status: 'ORDERED', itemsAmount: 3_000, discountAmount: 0, finalAmount: 3_000 } });
      expect(JSON.stringify(seen.items[1])).to.not.include(String(PRICE));
    });
  });
});
