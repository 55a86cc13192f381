import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import { type OrderingApp, orderingApp } from '../ordering-app.js';

const TTL_MS = 30_000;

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let product: ProductView;

  beforeEach(async () => {
    app = await orderingApp();
    product = await app.product(await app.seller(), [{ name: '260', stock: 5 }]);
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
});
