import { expect } from 'chai';
import type { Knex } from 'knex';
import type { FulfilmentStep } from '../../src/domain/ordering/order.js';
import type { Actor } from '../../src/domain/user/actor.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { uniqueEmail, uniqueName } from '../support/environment.js';
import { type App, codeOf, eventCounts, type Listed, orderStatus, SHIPPING_ADDRESS, Shop, startApp, tally } from './ordering-support.js';

const STEPS: FulfilmentStep[] = ['PREPARING', 'SHIPPED', 'DELIVERED'];

async function lineStatuses(db: Knex, orderId: number): Promise<string[]> {
  return (await db('order_items').where({ order_id: orderId }).orderBy('line_no')).map((r: { status: string }) => r.status);
}

/**
 * Fulfilment per seller on real PostgreSQL, with real parallel connections: two sellers of one
 * order step at once, many times, and the order always ends as its lines say, every step kept
 * and every status event written once; and the database itself refuses lines and orders that
 * disagree, whoever writes them.
 */
describe('fulfilment per seller under concurrency (PostgreSQL)', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let app: App | undefined;
  let shop: Shop;
  let other: Actor;
  let mine: Listed;
  let theirs: Listed;

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    app = await startApp(database);
    shop = await Shop.open(app);
    const registered = await resolve(app.container, TOKENS.registerAccount).execute(
      { email: uniqueEmail('seller-b'), name: 'Seller B', role: 'SELLER', businessNumber: '123-45-67890' },
      'password-123',
    );
    other = { userId: registered.id, role: 'SELLER' };
    mine = await shop.product(1_000, [500]);
    const view = await resolve(app.container, TOKENS.listProductForSale).execute(other, {
      name: uniqueName('theirs'),
      category: 'race',
      price: 2_000,
      options: [{ name: 'only', stock: 500 }],
    });
    theirs = { productId: view.id, optionIds: view.options.map((o) => o.id), price: 2_000 };
  });

  after(async function () {
    await app?.close();
  });

  const db = () => (app as App).db;
  const fulfil = (who: Actor, orderId: number, step: FulfilmentStep) => resolve((app as App).container, TOKENS.advanceFulfilment).execute(who, orderId, step);

  /** A paid order with one line of each seller. */
  async function mixedOrder(): Promise<{ buyer: Actor; orderId: number }> {
    const [buyer] = (await shop.buyers(1, 10_000)) as [Actor];
    const order = await resolve((app as App).container, TOKENS.placeOrder).execute(buyer, {
      items: [
        { productId: mine.productId, optionId: mine.optionIds[0], quantity: 1 },
        { productId: theirs.productId, optionId: theirs.optionIds[0], quantity: 1 },
      ],
      shippingAddress: SHIPPING_ADDRESS,
    });
    await shop.pay(buyer, order.id);
    return { buyer, orderId: order.id };
  }

  it('two sellers each run their three steps at the same time on 20 orders at once: every step succeeds, every order ends DELIVERED, each status event once', async function () {
    const orders = await Promise.all(Array.from({ length: 20 }, () => mixedOrder()));
    const run = async (who: Actor, orderId: number) => {
      const codes: string[] = [];
      for (const step of STEPS) {
        const [result] = await Promise.allSettled([fulfil(who, orderId, step)]);
        codes.push(codeOf(result!));
      }
      return codes;
    };

    const codes = (await Promise.all(orders.flatMap(({ orderId }) => [run(shop.seller, orderId), run(other, orderId)]))).flat();

    expect(tally(codes)).to.deep.equal({ OK: 20 * 2 * 3 });
    const ids = orders.map((o) => o.orderId);
    for (const id of ids) {
      expect(await orderStatus(db(), id), `order ${id}`).to.equal('DELIVERED');
      expect(await lineStatuses(db(), id)).to.deep.equal(['DELIVERED', 'DELIVERED']);
    }
    expect(await eventCounts(db(), ids, 'FulfilmentAdvanced')).to.deep.equal(ids.map(() => 6));
    for (const type of ['OrderPreparing', 'OrderShipped', 'OrderDelivered']) {
      expect(await eventCounts(db(), ids, type), type).to.deep.equal(ids.map(() => 1));
    }
    // The version moved once per step: no step was lost or written twice.
    const versions = await db()('orders').whereIn('id', ids).pluck('version');
    expect(versions.map(Number)).to.deep.equal(ids.map(() => 1 + 6));
  });

  it('the same step by both sellers at once, 30 times: both succeed and the order follows (the second sees the first\'s lines under the lock)', async function () {
    const { orderId } = await mixedOrder();
    const orders = [orderId, ...(await Promise.all(Array.from({ length: 29 }, () => mixedOrder()))).map((o) => o.orderId)];
    for (const id of orders) {
      for (const step of STEPS) {
        const results = await Promise.allSettled([fulfil(shop.seller, id, step), fulfil(other, id, step)]);
        expect(results.map(codeOf), `order ${id} ${step}`).to.deep.equal(['OK', 'OK']);
        expect(await orderStatus(db(), id)).to.equal(step);
      }
    }
    for (const type of ['OrderPreparing', 'OrderShipped', 'OrderDelivered']) {
      expect(await eventCounts(db(), orders, type), type).to.deep.equal(orders.map(() => 1));
    }
  });

  it('a seller shipping while the buyer asks for a refund (x15): either the refund wins (CANCELLED, the step refused) or the shipment does (the refund refused); never both', async function () {
    const outcomes: string[] = [];
    for (let n = 0; n < 15; n += 1) {
      const { buyer, orderId } = await mixedOrder();
      await fulfil(shop.seller, orderId, 'PREPARING');
      const [shipped, refunded] = await Promise.allSettled([fulfil(shop.seller, orderId, 'SHIPPED'), shop.refund(buyer, orderId)]);
      const pair = `${codeOf(shipped)}/${codeOf(refunded)}`;
      outcomes.push(pair);
      expect(['OK/INVALID_STATE', 'INVALID_STATE/OK'], pair).to.include(pair);
      const lines = await lineStatuses(db(), orderId);
      if (codeOf(refunded) === 'OK') {
        expect(await orderStatus(db(), orderId)).to.equal('CANCELLED');
        expect(lines).to.deep.equal(['PREPARING', 'ORDERED']);
      } else {
        expect(await orderStatus(db(), orderId)).to.equal('PREPARING');
        expect(lines).to.deep.equal(['SHIPPED', 'ORDERED']);
      }
    }
    expect(outcomes).to.have.length(15);
  });

  describe('the database refuses lines and orders that disagree, whoever writes them', function () {
    const refused = async (work: (trx: Knex.Transaction) => Promise<unknown>): Promise<string> => {
      try {
        await db().transaction(work);
      } catch (error) {
        return String((error as { constraint?: string; message?: string }).constraint ?? (error as Error).message);
      }
      return 'not refused';
    };

    it('a line skips no step and never goes back; what was bought never changes; no line is deleted', async function () {
      const { orderId } = await mixedOrder();
      expect(await refused((trx) => trx('order_items').where({ order_id: orderId, line_no: 1 }).update({ status: 'SHIPPED' }))).to.equal('order_items_one_step_forward');
      expect(await refused((trx) => trx('order_items').where({ order_id: orderId, line_no: 1 }).update({ quantity: 2, amount: 2_000 }))).to.match(/permanent record|what was ordered never changes/);
      expect(await refused((trx) => trx('order_items').where({ order_id: orderId }).delete())).to.match(/permanent record/);
      await fulfil(shop.seller, orderId, 'PREPARING');
      expect(
        await refused(async (trx) => {
          await trx('order_items').where({ order_id: orderId, line_no: 1 }).update({ status: 'ORDERED' });
        }),
      ).to.equal('order_items_one_step_forward');
      expect(await lineStatuses(db(), orderId)).to.deep.equal(['PREPARING', 'ORDERED']);
    });

    it('at commit, an order whose status its lines do not give it is refused: a line moved alone, an order moved alone, a refund after a shipment, a completion before delivery', async function () {
      const { orderId } = await mixedOrder();
      const violation = 'orders_status_follows_lines';
      expect(await refused((trx) => trx('order_items').where({ order_id: orderId, line_no: 1 }).update({ status: 'PREPARING' }))).to.equal(violation);
      expect(await refused((trx) => trx('orders').where({ id: orderId }).update({ status: 'PREPARING' }))).to.equal(violation);
      // Both together are what a step writes: accepted.
      await db().transaction(async (trx) => {
        await trx('order_items').where({ order_id: orderId, line_no: 1 }).update({ status: 'PREPARING' });
        await trx('orders').where({ id: orderId }).update({ status: 'PREPARING' });
      });
      await db().transaction(async (trx) => {
        await trx('order_items').where({ order_id: orderId, line_no: 1 }).update({ status: 'SHIPPED' });
      });
      expect(await refused((trx) => trx('orders').where({ id: orderId }).update({ status: 'CANCELLED' }))).to.equal(violation);
      expect(await refused((trx) => trx('orders').where({ id: orderId }).update({ status: 'COMPLETED' }))).to.equal(violation);
      expect(await orderStatus(db(), orderId)).to.equal('PREPARING');
    });
  });
});
