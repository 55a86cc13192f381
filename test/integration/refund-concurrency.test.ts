import { expect } from 'chai';
import type { Knex } from 'knex';
import type { RefundRequestLine } from '../../src/domain/ordering/refund.js';
import type { Actor } from '../../src/domain/user/actor.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import {
  type App,
  balanceOf,
  codeOf,
  expectBooksBalance,
  ledgerOf,
  orderStatus,
  paymentsOf,
  refundsOf,
  Shop,
  startApp,
  stockOf,
  tally,
} from './ordering-support.js';

/**
 * Partial refunds on real PostgreSQL (issue 12), with real parallel connections on two instances:
 * however refunds of one order race, no line is refunded past what was bought, the money credited
 * is what was paid for the units refunded, and the books (lines, refunds, payment) agree.
 */
describe('partial refunds under concurrency (PostgreSQL)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let first: App | undefined;
  let second: App | undefined;
  let shop: Shop;

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    first = await startApp(database);
    second = await startApp(database);
    shop = await Shop.open(first);
  });

  after(async function () {
    await Promise.all([first, second].map((a) => a?.close()));
  });

  const db = () => (first as App).db;
  const apps = () => [first as App, second as App];

  /** A refund of those units (null: the rest) through instance `n`'s use case. */
  const refund = (n: number, buyer: Actor, orderId: number, items: RefundRequestLine[] | null) =>
    resolve((apps()[n % 2] as App).container, TOKENS.refundOrder).execute(buyer, orderId, null, items);

  const refundedUnits = async (orderId: number) =>
    ((await db()('order_items').where({ order_id: orderId }).orderBy('line_no').select('refunded_quantity')) as { refunded_quantity: number }[]).map((r) =>
      Number(r.refunded_quantity),
    );

  /** A paid order of one line of `quantity` units at `price`. */
  async function paidLine(price: number, quantity: number) {
    const product = await shop.product(price, [10]);
    const [optionId] = product.optionIds as [number];
    const [buyer] = (await shop.buyers(1, 100_000)) as [Actor];
    const order = await shop.place(buyer, product, [[optionId, quantity]]);
    await shop.pay(buyer, order.id);
    return { buyer, order, optionId, lineId: order.items[0]!.id };
  }

  it('two refunds of 2 of a line\'s 3 units at once, on two instances (x10): one is made, the other INVALID_STATE; never more than bought', async function () {
    const price = 3_000;
    for (let round = 0; round < 10; round += 1) {
      const { buyer, order, optionId, lineId } = await paidLine(price, 3);

      const results = await Promise.allSettled([refund(0, buyer, order.id, [{ orderItemId: lineId, quantity: 2 }]), refund(1, buyer, order.id, [{ orderItemId: lineId, quantity: 2 }])]);

      expect(results.map(codeOf).sort()).to.deep.equal(['INVALID_STATE', 'OK']);
      expect(await refundedUnits(order.id)).to.deep.equal([2]);
      expect(await refundsOf(db(), [order.id])).to.deep.equal([{ orderId: order.id, amount: 2 * price }]);
      expect((await paymentsOf(db(), [order.id])).map((p) => p.status)).to.deep.equal(['PARTIALLY_REFUNDED']);
      expect(await orderStatus(db(), order.id)).to.equal('CONFIRMED');
      expect(await stockOf(db(), optionId)).to.deep.equal({ total: 9, reserved: 0, sold: 1 });
      expect((await ledgerOf(db(), [buyer.userId])).filter((l) => l.type === 'REFUND').map((l) => l.amount)).to.deep.equal([2 * price]);
      await expectBooksBalance(db(), [buyer.userId]);
    }
  });

  it('five refunds of one unit of a 3-unit line, and a refund of the rest, all at once: exactly the 3 units come back, the order ends CANCELLED, the payment REFUNDED', async function () {
    const price = 1_700;
    for (let round = 0; round < 5; round += 1) {
      const { buyer, order, optionId, lineId } = await paidLine(price, 3);

      const results = await Promise.allSettled([
        ...Array.from({ length: 5 }, (_, n) => refund(n, buyer, order.id, [{ orderItemId: lineId, quantity: 1 }])),
        refund(1, buyer, order.id, null),
      ]);

      const codes = tally(results.map(codeOf));
      expect(codes['OK'], JSON.stringify(codes)).to.be.within(1, 3);
      expect((codes['OK'] ?? 0) + (codes['INVALID_STATE'] ?? 0)).to.equal(6);
      expect(await refundedUnits(order.id)).to.deep.equal([3]);
      const refunds = await refundsOf(db(), [order.id]);
      expect(refunds.reduce((s, r) => s + r.amount, 0), 'the refunds add up to the payment').to.equal(3 * price);
      expect(refunds).to.have.length(codes['OK'] as number);
      expect(await orderStatus(db(), order.id)).to.equal('CANCELLED');
      expect((await paymentsOf(db(), [order.id])).map((p) => p.status)).to.deep.equal(['REFUNDED']);
      expect(await stockOf(db(), optionId)).to.deep.equal({ total: 10, reserved: 0, sold: 0 });
      expect(await balanceOf(db(), buyer.userId)).to.equal(100_000);
      await expectBooksBalance(db(), [buyer.userId]);
    }
  });

  describe('the database refuses what the service never writes', function () {
    it('a line refunded past its quantity (CHECK), what was ordered changed, refunded units going back (trigger)', async function () {
      const { buyer, order, lineId } = await paidLine(2_000, 2);
      const refused = async (sql: string) => {
        const error = (await db().raw(sql, [lineId]).then(
          () => null,
          (e: unknown) => e,
        )) as { code?: string } | null;
        expect(error, sql).to.not.equal(null);
        return error?.code;
      };

      expect(await refused('UPDATE order_items SET refunded_quantity = 3 WHERE id = ?')).to.equal('23514');
      expect(await refused('UPDATE order_items SET quantity = 1 WHERE id = ?')).to.equal('23001');
      expect(await refused('DELETE FROM order_items WHERE id = ?')).to.equal('23001');
      expect(await refundedUnits(order.id)).to.deep.equal([0]);
      // Refunded units never go back, even to a value the CHECK allows.
      await refund(0, buyer, order.id, [{ orderItemId: lineId, quantity: 1 }]);
      expect(await refused('UPDATE order_items SET refunded_quantity = 0 WHERE id = ?')).to.equal('23001');
    });

    it('refunded units, a refund or a payment\'s refunded amount written without the others is refused at commit', async function () {
      const { order, lineId } = await paidLine(2_000, 2);
      const [payment] = await paymentsOf(db(), [order.id]);
      const atCommit = async (work: (trx: Knex.Transaction) => Promise<unknown>) => {
        const error = (await db()
          .transaction(async (trx) => {
            await work(trx);
          })
          .then(
            () => null,
            (e: unknown) => e,
          )) as { code?: string; constraint?: string } | null;
        expect(error).to.not.equal(null);
        return error;
      };

      expect(await atCommit((trx) => trx.raw('UPDATE order_items SET refunded_quantity = 1 WHERE id = ?', [lineId]))).to.include({ code: '23514', constraint: 'refunds_books_balance' });
      expect(
        await atCommit((trx) => trx.raw("UPDATE payments SET refunded_amount = 100, status = 'PARTIALLY_REFUNDED' WHERE id = ?", [payment!.id])),
      ).to.include({ code: '23514', constraint: 'refunds_books_balance' });
      expect(
        await atCommit((trx) =>
          trx.raw("INSERT INTO refunds (order_id, payment_id, amount, status, created_at) VALUES (?, ?, 2000, 'REFUNDED', now())", [order.id, payment!.id]),
        ),
      ).to.include({ code: '23514', constraint: 'refunds_books_balance' });
      expect(await refundedUnits(order.id)).to.deep.equal([0]);
      expect(await refundsOf(db(), [order.id])).to.deep.equal([]);
    });
  });
});
