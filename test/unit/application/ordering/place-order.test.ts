import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { RateLimited } from '../../../../src/domain/shared/errors.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, orderingApp, PRICE, TEST_ADDRESS, oneProductShop } from '../ordering-app.js';

const UNKNOWN = 987_654;
const TTL_MS = 30_000;
const page = { page: 1, size: 20 };

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;
  let optionId: number;

  beforeEach(async () => {
    ({ app, seller, product, optionId } = await oneProductShop());
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
});
