import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, PRICE, oneProductShop } from '../ordering-app.js';

const UNKNOWN = 987_654;
const TTL_MS = 30_000;

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;
  let optionId: number;

  beforeEach(async () => {
    ({ app, seller, product, optionId } = await oneProductShop());
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
});
