import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, PRICE, oneProductShop } from '../ordering-app.js';

const page = { page: 1, size: 20 };

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;
  let optionId: number;

  beforeEach(async () => {
    ({ app, seller, product, optionId } = await oneProductShop());
  });

  describe('ListOrders', () => {
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
