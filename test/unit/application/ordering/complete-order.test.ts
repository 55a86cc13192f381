import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, orderingApp } from '../ordering-app.js';

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
});
