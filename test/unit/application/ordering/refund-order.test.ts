import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, orderingApp, PRICE, oneProductShop } from '../ordering-app.js';

const UNKNOWN = 987_654;

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;
  let optionId: number;

  beforeEach(async () => {
    ({ app, seller, product, optionId } = await oneProductShop());
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
});
