import { expect } from 'chai';
import sinon from 'sinon';
import type { EventType, OutboxEvent } from '../../../src/application/ports/outbox.js';
import { EVENT_TYPES } from '../../../src/application/ports/outbox.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { orderingApp, type OrderingApp, PRICE } from './ordering-app.js';

const DAY_MS = 86_400_000;
const OUTBOX_DOWN = 'the outbox write failed';

/**
 * DOMAIN.md "Events for the data platform": every business event is written in the transaction
 * of its change. For each event type: the action writes exactly that event with the resource as
 * its payload; and when writing the event fails, the change is gone too (one transaction).
 */
describe('every business event is written in the transaction of its change (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let buyer: Actor;

  afterEach(() => sinon.restore());

  async function start(env?: Record<string, string>) {
    app = await orderingApp(env ? { env } : {});
    seller = await app.seller();
    buyer = await app.buyer(500_000);
  }

  /** Makes the outbox refuse any write that carries an event of `type`. */
  function breakOutboxFor(type: EventType) {
    const add = app.outbox.add.bind(app.outbox);
    sinon.stub(app.outbox, 'add').callsFake(async (...events: OutboxEvent[]) => {
      if (events.some((e) => e.type === type)) throw new Error(OUTBOX_DOWN);
      return add(...events);
    });
  }

  const eventsOf = (type: EventType, aggregateId: number) =>
    app.outbox.events().filter((e) => e.type === type && e.aggregateId === aggregateId);

  async function attempt(work: Promise<unknown>): Promise<unknown> {
    try {
      await work;
      return null;
    } catch (error) {
      return error;
    }
  }

  it('the event types are the twelve DOMAIN.md names', () => {
    expect([...EVENT_TYPES]).to.deep.equal([
      'OrderCreated',
      'PaymentCompleted',
      'OrderCancelled',
      'OrderFailed',
      'RefundCompleted',
      'FulfilmentAdvanced',
      'OrderPreparing',
      'OrderShipped',
      'OrderDelivered',
      'OrderCompleted',
      'CouponCreated',
      'CouponIssued',
    ]);
  });

  describe('OrderCreated', () => {
    beforeEach(() => start());

    it('placing an order writes OrderCreated with the order', async () => {
      const product = await app.product(seller);
      const order = await app.place(buyer, product, 2);
      const [event] = eventsOf('OrderCreated', order.id);
      expect(event).to.deep.include({ aggregateType: 'Order', aggregateId: order.id });
      expect(event!.payload).to.deep.equal(JSON.parse(JSON.stringify(order)));
    });

    it('when OrderCreated cannot be written, no order exists and no stock is reserved', async () => {
      const product = await app.product(seller);
      breakOutboxFor('OrderCreated');
      expect(await attempt(app.place(buyer, product, 2))).to.have.property('message', OUTBOX_DOWN);
      expect((await app.listOrders.execute(buyer, { page: 1, size: 10 })).totalItems).to.equal(0);
      expect(await app.levels(product.options[0]!.id)).to.deep.include({ reserved: 0 });
    });
  });

  describe('PaymentCompleted', () => {
    beforeEach(() => start());

    it('paying writes PaymentCompleted with the paid order', async () => {
      const order = await app.place(buyer, await app.product(seller));
      await app.payForOrder.execute(buyer, order.id);
      const [event] = eventsOf('PaymentCompleted', order.id);
      expect(event!.payload).to.deep.include({ id: order.id, status: 'CONFIRMED' });
    });

    it('when PaymentCompleted cannot be written, the order stays CREATED and the wallet is not debited', async () => {
      const order = await app.place(buyer, await app.product(seller));
      breakOutboxFor('PaymentCompleted');
      expect(await attempt(app.payForOrder.execute(buyer, order.id))).to.have.property('message', OUTBOX_DOWN);
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.balance(buyer.userId)).to.equal(500_000);
      expect(eventsOf('PaymentCompleted', order.id)).to.deep.equal([]);
    });
  });

  describe('OrderCancelled', () => {
    beforeEach(() => start());

    it('cancelling an unpaid order, and the sweeper expiring one, each write OrderCancelled', async () => {
      const product = await app.product(seller, [{ name: '260', stock: 10 }]);
      const cancelled = await app.place(buyer, product);
      await app.cancelOrder.execute(buyer, cancelled.id, 'changed my mind');
      expect(eventsOf('OrderCancelled', cancelled.id)[0]!.payload).to.deep.include({ status: 'CANCELLED', cancelReason: 'changed my mind' });

      const expired = await app.place(buyer, product);
      app.clock.advance(app.config.orderReservationTtlSeconds * 1_000 + 1);
      await app.expireReservations.execute();
      expect(eventsOf('OrderCancelled', expired.id)[0]!.payload).to.deep.include({ status: 'CANCELLED', cancelReason: 'EXPIRED' });
    });

    it('when OrderCancelled cannot be written, the order stays CREATED with its stock reserved', async () => {
      const product = await app.product(seller);
      const order = await app.place(buyer, product);
      breakOutboxFor('OrderCancelled');
      expect(await attempt(app.cancelOrder.execute(buyer, order.id, null))).to.have.property('message', OUTBOX_DOWN);
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.levels(product.options[0]!.id)).to.deep.include({ reserved: 1 });
    });
  });

  describe('OrderFailed', () => {
    beforeEach(() => start({ PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'decline' }));

    it('a declined payment writes OrderFailed with the failed order', async () => {
      const order = await app.place(buyer, await app.product(seller));
      await attempt(app.payForOrder.execute(buyer, order.id));
      expect(eventsOf('OrderFailed', order.id)[0]!.payload).to.deep.include({ id: order.id, status: 'FAILED' });
    });

    it('when OrderFailed cannot be written, the order is not FAILED and keeps its stock (recovery settles it later)', async () => {
      const product = await app.product(seller);
      const order = await app.place(buyer, product);
      breakOutboxFor('OrderFailed');
      await attempt(app.payForOrder.execute(buyer, order.id));
      expect(await app.status(order.id)).to.not.equal('FAILED');
      expect(await app.levels(product.options[0]!.id)).to.deep.include({ reserved: 1 });
      expect(eventsOf('OrderFailed', order.id)).to.deep.equal([]);
    });
  });

  describe('RefundCompleted', () => {
    beforeEach(() => start());

    it('a refund writes RefundCompleted with the refund, then OrderCancelled', async () => {
      const order = await app.paid(buyer, await app.product(seller));
      const refund = await app.refundOrder.execute(buyer, order.id, 'too small');
      const types = app.outbox.events().filter((e) => e.aggregateId === order.id && e.aggregateType === 'Order').map((e) => e.type);
      expect(types).to.deep.equal(['OrderCreated', 'PaymentCompleted', 'RefundCompleted', 'OrderCancelled']);
      expect(eventsOf('RefundCompleted', order.id)[0]!.payload).to.deep.equal(JSON.parse(JSON.stringify(refund)));
    });

    it('when RefundCompleted cannot be written, the order stays CONFIRMED and no money moves', async () => {
      const order = await app.paid(buyer, await app.product(seller));
      breakOutboxFor('RefundCompleted');
      expect(await attempt(app.refundOrder.execute(buyer, order.id, null))).to.have.property('message', OUTBOX_DOWN);
      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect(await app.balance(buyer.userId)).to.equal(500_000 - PRICE);
      expect(await app.refunds.forOrder(order.id)).to.deep.equal([]);
    });
  });

  describe('FulfilmentAdvanced, OrderPreparing, OrderShipped, OrderDelivered and OrderCompleted', () => {
    beforeEach(() => start());

    const orderEvents = (orderId: number) =>
      app.outbox
        .events()
        .filter((e) => e.aggregateType === 'Order' && e.aggregateId === orderId)
        .map((e) => e.type);

    it('each seller’s step writes FulfilmentAdvanced with their view of the order; each change of the order’s status its own event, after it', async () => {
      const other = await app.seller();
      const mine = await app.product(seller);
      const theirs = await app.product(other, [{ name: 'x', stock: 5 }], 1_000);
      const order = await app.placeLines(buyer, [
        { productId: mine.id, quantity: 1 },
        { productId: theirs.id, quantity: 2 },
      ]);
      await app.payForOrder.execute(buyer, order.id);

      await app.advanceFulfilment.execute(seller, order.id, 'PREPARING');
      await app.advanceFulfilment.execute(seller, order.id, 'SHIPPED');
      await app.advanceFulfilment.execute(other, order.id, 'PREPARING');
      await app.advanceFulfilment.execute(other, order.id, 'SHIPPED');
      await app.advanceFulfilment.execute(app.admin, order.id, 'DELIVERED');
      const completed = await app.completeOrder.execute(buyer, order.id);

      expect(orderEvents(order.id)).to.deep.equal([
        'OrderCreated',
        'PaymentCompleted',
        'FulfilmentAdvanced',
        'OrderPreparing',
        'FulfilmentAdvanced',
        'FulfilmentAdvanced',
        'FulfilmentAdvanced',
        'OrderShipped',
        'FulfilmentAdvanced',
        'FulfilmentAdvanced',
        'OrderDelivered',
        'OrderCompleted',
      ]);
      const advanced = eventsOf('FulfilmentAdvanced', order.id).map((e) => e.payload as { sellerView: { sellerId: number; status: string }; items: unknown[]; status: string });
      expect(advanced.map((p) => [p.sellerView.sellerId, p.sellerView.status, p.status, p.items.length])).to.deep.equal([
        [seller.userId, 'PREPARING', 'PREPARING', 1],
        [seller.userId, 'SHIPPED', 'PREPARING', 1],
        [other.userId, 'PREPARING', 'PREPARING', 1],
        [other.userId, 'SHIPPED', 'SHIPPED', 1],
        // The ADMIN's step moved both sellers' lines: one event each, ascending seller id.
        [Math.min(seller.userId, other.userId), 'DELIVERED', 'DELIVERED', 1],
        [Math.max(seller.userId, other.userId), 'DELIVERED', 'DELIVERED', 1],
      ]);
      for (const p of advanced) expect(p).to.not.have.any.keys('totalAmount', 'finalAmount', 'payment');
      expect(eventsOf('OrderShipped', order.id)[0]!.payload).to.deep.include({ id: order.id, status: 'SHIPPED', totalAmount: PRICE + 2_000 });
      expect(eventsOf('OrderCompleted', order.id)[0]!.payload).to.deep.equal(JSON.parse(JSON.stringify(completed)));
    });

    it('when FulfilmentAdvanced cannot be written, no line moves; when OrderCompleted cannot, the order stays DELIVERED', async () => {
      const order = await app.paid(buyer, await app.product(seller));
      breakOutboxFor('FulfilmentAdvanced');
      expect(await attempt(app.advanceFulfilment.execute(seller, order.id, 'PREPARING'))).to.have.property('message', OUTBOX_DOWN);
      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect((await app.orders.get(order.id))!.items.map((i) => i.status)).to.deep.equal(['ORDERED']);
      sinon.restore();

      for (const step of ['PREPARING', 'SHIPPED', 'DELIVERED'] as const) await app.advanceFulfilment.execute(seller, order.id, step);
      breakOutboxFor('OrderCompleted');
      expect(await attempt(app.completeOrder.execute(buyer, order.id))).to.have.property('message', OUTBOX_DOWN);
      expect(await app.status(order.id)).to.equal('DELIVERED');
      expect(eventsOf('OrderCompleted', order.id)).to.deep.equal([]);
    });
  });

  describe('CouponCreated and CouponIssued', () => {
    beforeEach(() => start());

    const couponInput = (code: string) => {
      const now = app.clock.now().getTime();
      return {
        code,
        name: 'Spring sale',
        type: 'FIXED' as const,
        discountValue: 1_000,
        totalQuantity: 10,
        validFrom: new Date(now - DAY_MS),
        validUntil: new Date(now + DAY_MS),
      };
    };

    it('creating a coupon writes CouponCreated with the coupon; issuing one writes CouponIssued with the user coupon', async () => {
      const createCoupon = app.createCoupon;
      const issueCoupon = app.issueCoupon;
      const coupon = await createCoupon.execute(seller, couponInput('EVENTS-1'));
      expect(eventsOf('CouponCreated', coupon.id)[0]).to.deep.include({ aggregateType: 'Coupon', payload: JSON.parse(JSON.stringify(coupon)) });

      const copy = await issueCoupon.execute(buyer, { couponId: coupon.id, limitedOnly: true });
      expect(eventsOf('CouponIssued', coupon.id)[0]!.payload).to.deep.equal(JSON.parse(JSON.stringify(copy)));
    });

    it('when CouponCreated cannot be written, no coupon exists (the code is still free)', async () => {
      const createCoupon = app.createCoupon;
      breakOutboxFor('CouponCreated');
      expect(await attempt(createCoupon.execute(seller, couponInput('EVENTS-2')))).to.have.property('message', OUTBOX_DOWN);
      sinon.restore();
      const coupon = await createCoupon.execute(seller, couponInput('EVENTS-2'));
      expect(eventsOf('CouponCreated', coupon.id)).to.have.length(1);
    });

    it('when CouponIssued cannot be written, the user has no copy and the coupon counts none issued', async () => {
      const createCoupon = app.createCoupon;
      const issueCoupon = app.issueCoupon;
      const listUserCoupons = app.listUserCoupons;
      const getCoupon = app.getCoupon;
      const coupon = await createCoupon.execute(seller, couponInput('EVENTS-3'));
      breakOutboxFor('CouponIssued');
      expect(await attempt(issueCoupon.execute(buyer, { couponId: coupon.id, limitedOnly: true }))).to.have.property('message', OUTBOX_DOWN);
      expect((await listUserCoupons.execute(buyer, buyer.userId)).items).to.deep.equal([]);
      expect(await getCoupon.execute(coupon.id)).to.deep.include({ issuedQuantity: 0 });
      expect(eventsOf('CouponIssued', coupon.id)).to.deep.equal([]);
    });
  });
});
