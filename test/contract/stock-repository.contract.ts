import { expect } from 'chai';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import type { ProductRepository } from '../../src/domain/catalog/product-repository.js';
import type { StockLevels } from '../../src/domain/catalog/stock.js';
import type { StockLine, StockRepository } from '../../src/domain/catalog/stock-repository.js';
import { type CatalogSubject, newProduct, newSeller } from './catalog-contract-support.js';
import { rejectionOf, UNKNOWN_ID } from './contract-support.js';

const levels = (total: number, reserved: number, sold: number): StockLevels => ({ total, reserved, sold });
const line = (optionId: number, quantity: number): StockLine => ({ optionId, quantity });

type MoveName = 'reserve' | 'confirm' | 'release' | 'returnSold';

/** What every StockRepository must do, whatever it stores stock in. */
export function stockRepositoryContract(makeSubject: () => Promise<CatalogSubject>): void {
  let products: ProductRepository;
  let stock: StockRepository;
  let transactions: TransactionManager;
  let sellerId: number;
  const productIdOf = new Map<number, number>();

  beforeEach(async function () {
    const subject = await makeSubject();
    ({ products, stock, transactions } = subject);
    sellerId = await newSeller(subject.users);
  });

  /** A product with one option per stock given; returns the option ids in that order (ascending). */
  async function options(...stocks: number[]): Promise<number[]> {
    const product = await transactions.run(() =>
      products.add(newProduct(sellerId, {}, stocks.map((s, i) => ({ name: `option ${i}`, stock: s })))),
    );
    for (const option of product.options) productIdOf.set(option.id, product.id);
    return product.options.map((o) => o.id);
  }

  const levelsOf = async (...ids: number[]) => Promise.all(ids.map((id) => stock.levels(id)));

  describe('levels', function () {
    it('a new option has the stock it was created with, 0 reserved, 0 sold', async function () {
      const [a, b] = (await options(7, 0)) as [number, number];
      expect(await levelsOf(a, b)).to.deep.equal([levels(7, 0, 0), levels(0, 0, 0)]);
    });

    it('levels of an unknown option is null', async function () {
      expect(await stock.levels(UNKNOWN_ID)).to.equal(null);
    });
  });

  describe('reserve', function () {
    it('holds units within what is available, and exactly all of it', async function () {
      const [a, b] = (await options(10, 3)) as [number, number];
      await stock.reserve([line(a, 4), line(b, 3)]);
      expect(await levelsOf(a, b)).to.deep.equal([levels(10, 4, 0), levels(3, 3, 0)]);
      await stock.reserve([line(a, 6)]);
      expect(await stock.levels(a)).to.deep.equal(levels(10, 10, 0));
    });

    it('more than available is INSUFFICIENT_STOCK and changes nothing', async function () {
      const [a] = (await options(5)) as [number];
      await stock.reserve([line(a, 2)]);
      const error = await rejectionOf(stock.reserve([line(a, 4)]));
      expect(error.code).to.equal('INSUFFICIENT_STOCK');
      expect(await stock.levels(a)).to.deep.equal(levels(5, 2, 0));
    });

    it('several lines are all or nothing: the second line short → INSUFFICIENT_STOCK and the first is not reserved (on its own)', async function () {
      const [a, b] = (await options(10, 2)) as [number, number];
      const error = await rejectionOf(stock.reserve([line(a, 3), line(b, 5)]));
      expect(error.code).to.equal('INSUFFICIENT_STOCK');
      expect(await levelsOf(a, b)).to.deep.equal([levels(10, 0, 0), levels(2, 0, 0)]);
    });

    it('several lines are all or nothing inside the caller’s transaction too', async function () {
      const [a, b] = (await options(10, 2)) as [number, number];
      const error = await rejectionOf(transactions.run(() => stock.reserve([line(a, 3), line(b, 5)])));
      expect(error.code).to.equal('INSUFFICIENT_STOCK');
      expect(await levelsOf(a, b)).to.deep.equal([levels(10, 0, 0), levels(2, 0, 0)]);
    });

    it('all or nothing whatever order the lines come in (the short line first in the list, last by id)', async function () {
      const [a, b, c] = (await options(10, 10, 1)) as [number, number, number];
      const error = await rejectionOf(stock.reserve([line(c, 2), line(b, 1), line(a, 1)]));
      expect(error.code).to.equal('INSUFFICIENT_STOCK');
      expect(await levelsOf(a, b, c)).to.deep.equal([levels(10, 0, 0), levels(10, 0, 0), levels(1, 0, 0)]);
    });

    it('a refused reserve inside a transaction rolls back what the transaction did before it', async function () {
      const [a, b] = (await options(10, 2)) as [number, number];
      await rejectionOf(
        transactions.run(async () => {
          await stock.reserve([line(a, 1)]);
          await stock.restock(line(b, 1));
          await stock.reserve([line(b, 9)]);
        }),
      );
      expect(await levelsOf(a, b)).to.deep.equal([levels(10, 0, 0), levels(2, 0, 0)]);
    });

    it('an unknown option is NOT_FOUND, and the other lines are not reserved', async function () {
      const [a] = (await options(10)) as [number];
      const alone = await rejectionOf(stock.reserve([line(UNKNOWN_ID, 1)]));
      expect(alone.code).to.equal('NOT_FOUND');
      const mixed = await rejectionOf(stock.reserve([line(a, 2), line(UNKNOWN_ID, 1)]));
      expect(mixed.code).to.equal('NOT_FOUND');
      expect(await stock.levels(a)).to.deep.equal(levels(10, 0, 0));
    });

    it('a successful reserve inside a transaction that then throws is rolled back', async function () {
      const [a] = (await options(10)) as [number];
      await rejectionOf(
        transactions.run(async () => {
          await stock.reserve([line(a, 4)]);
          expect(await stock.levels(a)).to.deep.equal(levels(10, 4, 0));
          throw new Error('boom after the reserve');
        }),
      );
      expect(await stock.levels(a)).to.deep.equal(levels(10, 0, 0));
    });
  });

  describe('confirm', function () {
    it('moves reserved units out of the total and counts them sold', async function () {
      const [a, b] = (await options(10, 4)) as [number, number];
      await stock.reserve([line(a, 5), line(b, 4)]);
      await stock.confirm([line(a, 3), line(b, 4)]);
      expect(await levelsOf(a, b)).to.deep.equal([levels(7, 2, 3), levels(0, 0, 4)]);
    });

    it('more than reserved is INVALID_STATE and nothing changes, on any line', async function () {
      const [a, b] = (await options(10, 10)) as [number, number];
      await stock.reserve([line(a, 3), line(b, 1)]);
      const error = await rejectionOf(stock.confirm([line(a, 3), line(b, 2)]));
      expect(error.code).to.equal('INVALID_STATE');
      expect(await levelsOf(a, b)).to.deep.equal([levels(10, 3, 0), levels(10, 1, 0)]);
    });
  });

  describe('release', function () {
    it('gives reserved units back to available', async function () {
      const [a] = (await options(10)) as [number];
      await stock.reserve([line(a, 5)]);
      await stock.release([line(a, 2)]);
      expect(await stock.levels(a)).to.deep.equal(levels(10, 3, 0));
      await stock.release([line(a, 3)]);
      expect(await stock.levels(a)).to.deep.equal(levels(10, 0, 0));
    });

    it('more than reserved is INVALID_STATE and nothing changes, on any line', async function () {
      const [a, b] = (await options(10, 10)) as [number, number];
      await stock.reserve([line(a, 3), line(b, 1)]);
      const error = await rejectionOf(stock.release([line(a, 3), line(b, 2)]));
      expect(error.code).to.equal('INVALID_STATE');
      expect(await levelsOf(a, b)).to.deep.equal([levels(10, 3, 0), levels(10, 1, 0)]);
    });
  });

  describe('returnSold', function () {
    it('puts sold units back on the shelf', async function () {
      const [a] = (await options(10)) as [number];
      await stock.reserve([line(a, 6)]);
      await stock.confirm([line(a, 6)]);
      await stock.returnSold([line(a, 4)]);
      expect(await stock.levels(a)).to.deep.equal(levels(8, 0, 2));
    });

    it('more than sold is INVALID_STATE and nothing changes, on any line', async function () {
      const [a, b] = (await options(10, 10)) as [number, number];
      await stock.reserve([line(a, 3), line(b, 1)]);
      await stock.confirm([line(a, 3), line(b, 1)]);
      const error = await rejectionOf(stock.returnSold([line(a, 3), line(b, 2)]));
      expect(error.code).to.equal('INVALID_STATE');
      expect(await levelsOf(a, b)).to.deep.equal([levels(7, 0, 3), levels(9, 0, 1)]);
    });
  });

  describe('restock', function () {
    it('adds to the total and returns the new levels', async function () {
      const [a] = (await options(0)) as [number];
      await stock.restock(line(a, 3));
      await stock.reserve([line(a, 2)]);
      await stock.confirm([line(a, 1)]);
      expect(await stock.restock(line(a, 10))).to.deep.equal(levels(12, 1, 1));
      expect(await stock.levels(a)).to.deep.equal(levels(12, 1, 1));
    });

    it('an unknown option is NOT_FOUND', async function () {
      const error = await rejectionOf(stock.restock(line(UNKNOWN_ID, 1)));
      expect(error.code).to.equal('NOT_FOUND');
    });

    it('a restock inside a transaction that then throws is rolled back', async function () {
      const [a] = (await options(4)) as [number];
      await rejectionOf(
        transactions.run(async () => {
          expect(await stock.restock(line(a, 6))).to.deep.equal(levels(10, 0, 0));
          throw new Error('boom after the restock');
        }),
      );
      expect(await stock.levels(a)).to.deep.equal(levels(4, 0, 0));
    });
  });

  describe('the same refusals on every adapter', function () {
    for (const move of ['confirm', 'release', 'returnSold'] as MoveName[]) {
      it(`${move} of an unknown option is NOT_FOUND (as reserve and restock are), and the other lines do not move`, async function () {
        const [a] = (await options(10)) as [number];
        await stock.reserve([line(a, 5)]);
        await stock.confirm([line(a, 2)]);
        const error = await rejectionOf(stock[move]([line(a, 1), line(UNKNOWN_ID, 1)]));
        expect(error.code, error.message).to.equal('NOT_FOUND');
        expect(await stock.levels(a)).to.deep.equal(levels(8, 3, 2));
      });
    }

    for (const move of ['reserve', 'confirm', 'release', 'returnSold', 'restock'] as const) {
      it(`${move} refuses a quantity that is not a positive whole number with a RangeError, and nothing moves`, async function () {
        const outcomes = [];
        for (const quantity of [0, -1, 1.5]) {
          // a fresh option at 8 total / 3 reserved / 2 sold for each quantity, so outcomes do not add up
          const [a] = (await options(10)) as [number];
          await stock.reserve([line(a, 5)]);
          await stock.confirm([line(a, 2)]);
          let refusal = 'accepted';
          try {
            await (move === 'restock' ? stock.restock(line(a, quantity)) : stock[move]([line(a, quantity)]));
          } catch (error) {
            refusal = error instanceof RangeError ? 'RangeError' : `${(error as Error).name}: ${(error as Error).message}`;
          }
          outcomes.push({ quantity, refusal, after: await stock.levels(a) });
        }
        expect(outcomes).to.deep.equal([0, -1, 1.5].map((quantity) => ({ quantity, refusal: 'RangeError', after: levels(8, 3, 2) })));
      });
    }
  });

  it('the exact numbers after a sequence of moves over three options', async function () {
    const [a, b, c] = (await options(10, 3, 0)) as [number, number, number];

    await stock.reserve([line(a, 4), line(b, 3)]);
    await stock.restock(line(c, 5));
    await stock.reserve([line(c, 2), line(a, 1)]);
    await stock.confirm([line(a, 3), line(b, 2)]);
    await stock.release([line(b, 1), line(a, 1)]);
    expect((await rejectionOf(stock.reserve([line(a, 2), line(b, 1), line(c, 4)]))).code).to.equal('INSUFFICIENT_STOCK');
    await stock.confirm([line(c, 2)]);
    await stock.returnSold([line(a, 2), line(c, 1)]);
    expect((await rejectionOf(stock.returnSold([line(b, 3)]))).code).to.equal('INVALID_STATE');
    await stock.restock(line(b, 7));
    await transactions.run(async () => {
      await stock.reserve([line(b, 7)]);
      await stock.confirm([line(b, 5)]);
    });

    expect(await levelsOf(a, b, c)).to.deep.equal([levels(9, 1, 1), levels(3, 2, 7), levels(4, 0, 1)]);
    // and the product sees the same numbers
    const product = await products.get(productIdOf.get(a)!);
    expect(product?.options.map(({ total, reserved, sold }) => levels(total, reserved, sold))).to.deep.equal([
      levels(9, 1, 1),
      levels(3, 2, 7),
      levels(4, 0, 1),
    ]);
  });

  it('moves with no lines do nothing and succeed', async function () {
    const [a] = (await options(3)) as [number];
    for (const move of ['reserve', 'confirm', 'release', 'returnSold'] as MoveName[]) await stock[move]([]);
    expect(await stock.levels(a)).to.deep.equal(levels(3, 0, 0));
  });
}
