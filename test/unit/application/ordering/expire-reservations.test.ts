import { expect } from 'chai';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { type OrderingApp, oneProductShop } from '../ordering-app.js';

const TTL_MS = 30_000;

describe('ordering use cases (memory adapters)', () => {
  let app: OrderingApp;
  let seller: Actor;
  let product: ProductView;
  let optionId: number;

  beforeEach(async () => {
    ({ app, seller, product, optionId } = await oneProductShop());
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
});
