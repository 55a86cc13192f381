import { expect } from 'chai';
import type { Knex } from 'knex';
import { Product } from '../../src/domain/catalog/product.js';
import type { StockLine } from '../../src/domain/catalog/stock-repository.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresProductRepository } from '../../src/adapters/postgres/product-repository.js';
import { PostgresStockRepository } from '../../src/adapters/postgres/stock-repository.js';
import { requireRealPostgres, testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';

interface Levels {
  total: number;
  reserved: number;
  sold: number;
}

/** Real parallel transactions on real PostgreSQL: no unit may ever be sold twice. */
describe('stock under concurrency (PostgreSQL)', function () {
  this.timeout(60_000);
  let db: Knex;
  let tx: KnexTransactionManager;
  let stock: PostgresStockRepository;
  let products: PostgresProductRepository;
  let sellerId: number;

  before(async function () {
    const database = await testDatabase();
    requireRealPostgres(this, database);
    db = database.connect(25);
    tx = new KnexTransactionManager(db);
    stock = new PostgresStockRepository(tx);
    products = new PostgresProductRepository(tx);
    const [row] = await db('users').insert({ email: uniqueEmail('seller'), name: 'S', role: 'SELLER', business_number: '123-45-67890', password_hash: 'x' }).returning('id');
    sellerId = Number(row.id);
  });

  async function optionsWithStock(...stocks: number[]): Promise<number[]> {
    const draft = Product.list(sellerId, { name: 'Contended', category: 'race', price: 1_000, options: stocks.map((s, i) => ({ name: `o${i}`, stock: s })) }, new Date());
    const product = await products.add(draft);
    return product.options.map((o) => o.id);
  }

  async function levels(optionId: number): Promise<Levels> {
    const row = await db('product_options').where({ id: optionId }).first('total_stock', 'reserved_stock', 'sold_quantity');
    return { total: Number(row.total_stock), reserved: Number(row.reserved_stock), sold: Number(row.sold_quantity) };
  }

  const codeOf = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'OK');

  it('100 parallel reservations of 1 unit against 10 available: exactly 10 succeed, reserved 10', async function () {
    const [optionId] = (await optionsWithStock(10)) as [number];
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => tx.run(() => stock.reserve([{ optionId, quantity: 1 }]))));

    const outcomes = results.map(codeOf);
    expect(outcomes.filter((c) => c === 'OK')).to.have.length(10);
    expect(outcomes.filter((c) => c === 'INSUFFICIENT_STOCK')).to.have.length(90);
    expect(await levels(optionId)).to.deep.equal({ total: 10, reserved: 10, sold: 0 });
  });

  it('a reservation that waited for another buyer\'s and was refused says what is left now (0), not what was left when it began (1)', async function () {
    const [optionId] = (await optionsWithStock(1)) as [number];
    const first = await db.transaction();
    try {
      await first.raw('UPDATE product_options SET reserved_stock = reserved_stock + 1 WHERE id = ?', [optionId]);
      const second = tx.run(() => stock.reserve([{ optionId, quantity: 1 }])).then(
        () => null,
        (error: unknown) => error,
      );
      // The second reservation is waiting on the first's row lock before the first commits.
      for (let i = 0; i < 100; i++) {
        const [waiting] = (await db.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%reserved_stock%'")).rows as { n: number }[];
        if ((waiting?.n ?? 0) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await first.commit();
      const refusal = (await second) as { code?: string; available?: number; message?: string } | null;
      expect(refusal?.code).to.equal('INSUFFICIENT_STOCK');
      expect(refusal?.available).to.equal(0);
      expect(refusal?.message).to.equal(`Option ${optionId}: 0 available, 1 requested`);
    } finally {
      if (!first.isCompleted()) await first.rollback();
    }
    expect(await levels(optionId)).to.deep.equal({ total: 1, reserved: 1, sold: 0 });
  });

  it('a refused reservation aborts the transaction: a statement sent right behind it (as an order\'s insert is) is not run at all', async function () {
    const [optionId] = (await optionsWithStock(1)) as [number];
    const before = Number((await db.raw("SELECT nextval('orders_id_seq') AS n")).rows[0].n);
    const refusal = await tx
      .run(async () => {
        const reserving = stock.reserve([{ optionId, quantity: 2 }]);
        // A sequence moves on even in a transaction that rolls back: it shows whether this ran.
        const behind = tx.query('test_behind_refused_reservation', "SELECT nextval('orders_id_seq')", []);
        const [reserved] = await Promise.allSettled([reserving, behind]);
        if (reserved.status === 'rejected') throw reserved.reason;
      })
      .then(
        () => null,
        (error: unknown) => error as { code?: string; available?: number },
      );
    expect(refusal?.code).to.equal('INSUFFICIENT_STOCK');
    expect(refusal?.available).to.equal(1);
    const after = Number((await db.raw("SELECT nextval('orders_id_seq') AS n")).rows[0].n);
    expect(after, 'the statement behind the refused reservation ran').to.equal(before + 1);
    expect(await levels(optionId)).to.deep.equal({ total: 1, reserved: 0, sold: 0 });
  });

  it('orders of several lines in opposite orders never deadlock and are all or nothing', async function () {
    const [a, b] = (await optionsWithStock(30, 30)) as [number, number];
    // Half the orders name a then b, half b then a; the repository locks in id order either way.
    const orders: StockLine[][] = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? [
            { optionId: a, quantity: 1 },
            { optionId: b, quantity: 2 },
          ]
        : [
            { optionId: b, quantity: 2 },
            { optionId: a, quantity: 1 },
          ],
    );
    const results = await Promise.allSettled(orders.map((lines) => tx.run(() => stock.reserve(lines))));

    const outcomes = results.map(codeOf);
    expect(outcomes.filter((c) => c !== 'OK' && c !== 'INSUFFICIENT_STOCK'), 'only stock may refuse (no deadlock)').to.deep.equal([]);
    const won = outcomes.filter((c) => c === 'OK').length;
    // b runs out first: 30 units / 2 per order.
    expect(won).to.equal(15);
    expect(await levels(a)).to.deep.equal({ total: 30, reserved: won, sold: 0 });
    expect(await levels(b)).to.deep.equal({ total: 30, reserved: 2 * won, sold: 0 });
  });

  it('a mix of reserve, confirm, release, restock and refund at once keeps total >= reserved >= 0 and the books balanced', async function () {
    const [optionId] = (await optionsWithStock(50)) as [number];
    const line = (quantity: number): StockLine[] => [{ optionId, quantity }];
    // Each "buyer" reserves, then pays (confirm) or walks away (release); some paid ones refund.
    let restocked = 0;
    const journeys = Array.from({ length: 60 }, (_, i) => async (): Promise<'paid' | 'refunded' | 'released' | 'refused'> => {
      const quantity = 1 + (i % 3);
      try {
        await tx.run(() => stock.reserve(line(quantity)));
      } catch {
        return 'refused';
      }
      if (i % 4 === 0) {
        await tx.run(() => stock.release(line(quantity)));
        return 'released';
      }
      await tx.run(() => stock.confirm(line(quantity)));
      if (i % 5 === 0) {
        await tx.run(() => stock.returnSold(line(quantity)));
        return 'refunded';
      }
      return 'paid';
    });
    const restocks = Array.from({ length: 10 }, () => async () => {
      await tx.run(() => stock.restock({ optionId, quantity: 2 }));
      restocked += 2;
      return 'restocked' as const;
    });
    // Watch the row while everything runs: the invariant must hold at every moment, not just at the end.
    let watching = true;
    const violations: Levels[] = [];
    const watcher = (async () => {
      while (watching) {
        const l = await levels(optionId);
        if (!(l.total >= l.reserved && l.reserved >= 0 && l.total >= 0)) violations.push(l);
      }
    })();
    const outcomes = await Promise.all([...journeys, ...restocks].map((run) => run()));
    watching = false;
    await watcher;

    expect(violations).to.deep.equal([]);
    const quantities = outcomes.map((outcome, i) => ({ outcome, quantity: 1 + (i % 3) }));
    const sold = quantities.filter((q) => q.outcome === 'paid').reduce((s, q) => s + q.quantity, 0);
    const final = await levels(optionId);
    expect(restocked).to.equal(20);
    expect(final).to.deep.equal({ total: 50 + restocked - sold, reserved: 0, sold });
  });

  it('the database refuses a move that would break total >= reserved, whatever the application does', async function () {
    const [optionId] = (await optionsWithStock(1)) as [number];
    let error: unknown = null;
    try {
      await db('product_options').where({ id: optionId }).update({ reserved_stock: 2 });
    } catch (e) {
      error = e;
    }
    expect((error as Error | null)?.message).to.match(/product_options_reserved_within_total/);
    error = null;
    try {
      await db('product_options').where({ id: optionId }).update({ reserved_stock: -1 });
    } catch (e) {
      error = e;
    }
    expect((error as Error | null)?.message).to.match(/check constraint/);
    expect(await levels(optionId)).to.deep.equal({ total: 1, reserved: 0, sold: 0 });
  });
});
