import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, orderingApp, PRICE } from '../ordering-app.js';

const UNKNOWN = 987_654;

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;

  beforeEach(async () => {
    app = await orderingApp();
    seller = await app.seller();
    product = await app.product(seller, [{ name: '260', stock: 5 }]);
  });

  describe('GetOrder', () => {
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
  });
});
