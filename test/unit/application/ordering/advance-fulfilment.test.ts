import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, PRICE, oneProductShop } from '../ordering-app.js';

const UNKNOWN = 987_654;

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;
  let optionId: number;

  beforeEach(async () => {
    ({ app, seller, product, optionId } = await oneProductShop());
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
});
