import { expect } from 'chai';
import type { Knex } from 'knex';
import pg from 'pg';
import sinon from 'sinon';
import { ID_BLOCK_SIZE, IdBlocks } from '../../src/adapters/postgres/id-blocks.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import type { Actor } from '../../src/domain/user/actor.js';
import { type App, balanceOf, Shop, startApp, stockOf } from './ordering-support.js';

/**
 * Orders, their lines and payments are numbered by the service ahead of their INSERT (IdBlocks),
 * from the tables' own identity sequences, so that placing an order waits for no answer once its
 * products are read, and paying none once the order and the wallet are locked.
 */
describe('round trips of placing and paying; ids drawn ahead from identity sequences (IdBlocks)', function () {
  let database: TestDatabase;
  let db: Knex;

  before(async function () {
    database = await testDatabase();
    db = database.db;
  });

  const lastDrawn = async (table: string): Promise<number> =>
    Number((await db.raw(`SELECT last_value FROM ${table}_id_seq`)).rows[0].last_value);

  it('two instances and the column default never hand out the same id', async function () {
    const one = new IdBlocks(new KnexTransactionManager(db), 5);
    const other = new IdBlocks(new KnexTransactionManager(db), 5);
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      seen.push(...(await one.take('order_items', 2)), ...(await other.take('order_items', 1)));
      // What an INSERT without an id would be given.
      seen.push(Number((await db.raw(`SELECT nextval(pg_get_serial_sequence('order_items', 'id')) AS id`)).rows[0].id));
    }
    expect(new Set(seen).size, 'every id once').to.equal(seen.length);
  });

  it('one round trip per block: the sequence moves by a whole block, then not until the block is used up', async function () {
    const ids = new IdBlocks(new KnexTransactionManager(db));
    const [first] = await ids.take('orders', 1);
    const drawnTo = await lastDrawn('orders');
    expect(drawnTo, 'a whole block drawn at once').to.equal((first as number) + ID_BLOCK_SIZE - 1);
    const rest = await ids.take('orders', ID_BLOCK_SIZE - 1);
    expect(await lastDrawn('orders'), 'no further draw while the block lasts').to.equal(drawnTo);
    expect(rest).to.deep.equal(Array.from({ length: ID_BLOCK_SIZE - 1 }, (_, i) => (first as number) + 1 + i));
    await ids.take('orders', 1);
    expect(await lastDrawn('orders'), 'the next block').to.be.at.least(drawnTo + ID_BLOCK_SIZE);
  });

  it('more ids than a block at once: all of them, in one draw', async function () {
    const ids = new IdBlocks(new KnexTransactionManager(db), 4);
    const taken = await ids.take('order_items', 10);
    expect(taken).to.have.length(10);
    expect(new Set(taken).size).to.equal(10);
  });

  it('ids drawn in a transaction that rolls back are not handed out again', async function () {
    const tm = new KnexTransactionManager(db);
    const ids = new IdBlocks(tm, 3);
    const inRolledBack = await tm
      .run(async () => {
        const taken = await ids.take('orders', 3);
        throw Object.assign(new Error('rolled back'), { taken });
      })
      .catch((error: { taken: number[] }) => error.taken);
    const after = await new IdBlocks(tm, 3).take('orders', 3);
    expect(after.filter((id) => inRolledBack.includes(id))).to.deep.equal([]);
  });

  describe('placing and paying on a PostgreSQL server', function () {
    let app: App;
    let shop: Shop;

    before(async function () {
      requireRealPostgres(this, database);
      app = await startApp(database);
      shop = await Shop.open(app);
    });

    after(async function () {
      await app?.close();
    });

    afterEach(function () {
      sinon.restore();
    });

    /**
     * What the service sent (statement names, BEGIN and COMMIT) while another transaction held the
     * option's row, so that any statement touching it waited: what `work` sent without waiting
     * for an answer from behind that statement.
     */
    async function sendsWhileOptionHeld(optionId: number, work: () => Promise<unknown>): Promise<{ sentWhileHeld: string[]; done: Promise<unknown> }> {
      const sent: string[] = [];
      const query = pg.Client.prototype.query;
      sinon.stub(pg.Client.prototype, 'query').callsFake(function (this: pg.Client, ...args: unknown[]) {
        const config = args[0] as string | { name?: string; text?: string };
        sent.push(typeof config === 'string' ? config : (config.name ?? config.text ?? '?'));
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query);
      const holder = await db.transaction();
      let done: Promise<unknown> = Promise.resolve();
      let sentWhileHeld: string[] = [];
      try {
        await holder.raw('SELECT 1 FROM product_options WHERE id = ? FOR UPDATE', [optionId]);
        done = work();
        done.catch(() => undefined);
        for (let i = 0; i < 100 && !sent.includes('COMMIT'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
        sentWhileHeld = [...sent];
      } finally {
        await holder.commit();
        sinon.restore();
      }
      return { sentWhileHeld, done };
    }

    it('sends the reservation, the order with its lines, its event and COMMIT without waiting for any answer', async function () {
      const product = await shop.product(1_000, [5]);
      const [optionId] = product.optionIds as [number];
      const buyer = await shop.buyer();
      // A first order draws the id blocks, so the one watched below has its ids at hand.
      await shop.place(buyer, product, [[optionId, 1]]);

      const { sentWhileHeld, done } = await sendsWhileOptionHeld(optionId, () => shop.place(buyer, product, [[optionId, 2]]));
      await done;
      const commit = sentWhileHeld.indexOf('COMMIT');
      expect(commit, 'COMMIT was sent while the reservation still waited for its lock').to.be.greaterThan(-1);
      const beforeCommit = sentWhileHeld.slice(0, commit);
      // Prepared statements go by their names (prepared.ts adds a prefix of its own).
      for (const statement of ['stock_reserve', 'order_add', 'outbox_add']) {
        expect(beforeCommit.some((name) => name.includes(statement)), `${statement} sent before COMMIT`).to.equal(true);
      }
      expect(await stockOf(db, optionId)).to.include({ reserved: 3 });
    });

    it('pays with the order and wallet locks in one round trip, then sends the payment, debit, stock, sales, order and event with COMMIT', async function () {
      const product = await shop.product(1_000, [5]);
      const [optionId] = product.optionIds as [number];
      const [buyer] = (await shop.buyers(1, 10_000)) as [Actor];
      // A first payment draws the payments' id block, so the one watched below has its id at hand.
      await shop.pay(buyer, (await shop.place(buyer, product, [[optionId, 1]])).id);
      const order = await shop.place(buyer, product, [[optionId, 2]]);

      const { sentWhileHeld, done } = await sendsWhileOptionHeld(optionId, () => shop.pay(buyer, order.id));
      await done;
      const commit = sentWhileHeld.indexOf('COMMIT');
      expect(commit, 'COMMIT was sent while the stock move still waited for its lock').to.be.greaterThan(-1);
      const beforeCommit = sentWhileHeld.slice(0, commit);
      for (const statement of ['order_lock', 'wallet_lock', 'payment_add', 'wallet_save', 'stock_confirm', 'sales', 'order_save', 'outbox_add']) {
        expect(beforeCommit.some((name) => name.includes(statement)), `${statement} sent before COMMIT`).to.equal(true);
      }
      expect(await stockOf(db, optionId)).to.include({ reserved: 0, sold: 3 });
      expect(await balanceOf(db, buyer.userId)).to.equal(10_000 - 3 * 1_000);
    });

    it('a refused reservation fails the order at COMMIT with the line named, and writes no order, line or event', async function () {
      const product = await shop.product(1_000, [1]);
      const [optionId] = product.optionIds as [number];
      const buyer = await shop.buyer();
      const ordersBefore = Number((await db('orders').where({ user_id: buyer.userId }).count({ n: '*' }))[0]?.n);
      const refusal = await shop.place(buyer, product, [[optionId, 2]]).then(
        () => null,
        (error: unknown) => error as { code?: string; message?: string },
      );
      expect(refusal?.code).to.equal('INSUFFICIENT_STOCK');
      expect(refusal?.message).to.match(/^Line 1 \(.+ \/ option-0\): only 1 available, 2 requested$/);
      expect(Number((await db('orders').where({ user_id: buyer.userId }).count({ n: '*' }))[0]?.n)).to.equal(ordersBefore);
      expect(await stockOf(db, optionId)).to.include({ reserved: 0 });
    });
  });
});
