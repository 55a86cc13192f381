import { expect } from 'chai';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import type { ProductRepository } from '../../src/domain/catalog/product-repository.js';
import type { ProductSalesRepository } from '../../src/domain/sales/product-sales-repository.js';
import type { SaleLine } from '../../src/domain/sales/sales.js';
import type { UserRepository } from '../../src/domain/user/user-repository.js';
import { newProduct, newSeller } from './catalog-contract-support.js';
import { rejectionOf, UNKNOWN_ID } from './contract-support.js';

export interface ProductSalesSubject {
  sales: ProductSalesRepository;
  products: ProductRepository;
  users: UserRepository;
  transactions: TransactionManager;
}

const DAY_MS = 86_400_000;
let periods = 0;

/**
 * Days no other test of this run writes on: each call hands out a stretch of 60 days of its own,
 * far in the future (the test database is shared by the whole run, and the aggregate's queries
 * read every row of a range of days).
 */
export function ownDays(): (offset: number) => string {
  periods += 1;
  const start = Date.UTC(2400, 0, 1) + periods * 60 * DAY_MS;
  return (offset: number) => new Date(start + offset * DAY_MS).toISOString().slice(0, 10);
}

const sale = (productId: number, units: number, revenue: number, discount = 0): SaleLine => ({ productId, units, revenue, discount });

/** What every ProductSalesRepository must do, whatever it keeps the aggregate in. */
export function productSalesContract(makeSubject: () => Promise<ProductSalesSubject>): void {
  let s: ProductSalesSubject;
  let day: (offset: number) => string;

  beforeEach(async function () {
    s = await makeSubject();
    day = ownDays();
  });

  /** New products (of new sellers unless given), with these categories; returns their ids, ascending. */
  async function productsOf(categories: string[], sellerId?: number): Promise<number[]> {
    const seller = sellerId ?? (await newSeller(s.users));
    const ids: number[] = [];
    for (const category of categories) {
      ids.push((await s.transactions.run(() => s.products.add(newProduct(seller, { category })))).id);
    }
    return ids;
  }

  const window = (from: number, to: number) => ({ from: day(from), to: day(to) });
  const byProduct = (from: number, to: number) => s.sales.salesBy({ ...window(from, to), groupBy: 'product' });

  describe('record', function () {
    it('adds units and revenue to the product’s day; a second sale the same day adds to the same row', async function () {
      const [a, b] = (await productsOf(['c', 'c'])) as [number, number];
      await s.sales.record(day(0), [sale(a, 2, 20_000), sale(b, 1, 5_000)]);
      await s.sales.record(day(0), [sale(a, 3, 30_000)]);
      expect(await byProduct(0, 0)).to.deep.equal([
        { key: a, units: 5, revenue: 50_000, discount: 0 },
        { key: b, units: 1, revenue: 5_000, discount: 0 },
      ]);
    });

    it('keeps days apart', async function () {
      const [a] = (await productsOf(['c'])) as [number];
      await s.sales.record(day(0), [sale(a, 1, 1_000)]);
      await s.sales.record(day(1), [sale(a, 2, 2_000)]);
      expect(await s.sales.salesBy({ ...window(0, 1), groupBy: 'day' })).to.deep.equal([
        { key: day(0), units: 1, revenue: 1_000, discount: 0 },
        { key: day(1), units: 2, revenue: 2_000, discount: 0 },
      ]);
    });

    it('takes lines in any order (it locks them in ascending product id itself)', async function () {
      const [a, b] = (await productsOf(['c', 'c'])) as [number, number];
      await s.sales.record(day(0), [sale(b, 1, 1_000), sale(a, 2, 2_000)]);
      expect((await byProduct(0, 0)).map((g) => g.key)).to.deep.equal([a, b]);
    });

    it('is part of the caller’s transaction: rolled back with it', async function () {
      const [a] = (await productsOf(['c'])) as [number];
      await rejectionOf(
        s.transactions.run(async () => {
          await s.sales.record(day(0), [sale(a, 4, 4_000)]);
          throw new Error('the payment failed later on');
        }),
      );
      expect(await byProduct(0, 0)).to.deep.equal([]);
    });

    it('refuses a product that does not exist, and lines that would subtract', async function () {
      await rejectionOf(s.sales.record(day(0), [sale(UNKNOWN_ID, 1, 1_000)]));
      const [a] = (await productsOf(['c'])) as [number];
      await rejectionOf(s.sales.record(day(0), [sale(a, -1, -1_000)]));
      await rejectionOf(s.sales.record(day(0), [sale(a, 0, 0)]));
      expect(await byProduct(0, 0)).to.deep.equal([]);
    });

    it('adds the coupons’ discount next to the revenue, on the same row; each group sums it', async function () {
      const [a, b] = (await productsOf(['c', 'c'])) as [number, number];
      await s.sales.record(day(0), [sale(a, 2, 20_000, 2_000), sale(b, 1, 5_000)]);
      await s.sales.record(day(0), [sale(a, 1, 10_000, 10_000)]);
      await s.sales.record(day(1), [sale(a, 1, 10_000, 500)]);
      expect(await byProduct(0, 0)).to.deep.equal([
        { key: a, units: 3, revenue: 30_000, discount: 12_000 },
        { key: b, units: 1, revenue: 5_000, discount: 0 },
      ]);
      expect(await s.sales.salesBy({ ...window(0, 1), groupBy: 'day' })).to.deep.equal([
        { key: day(0), units: 4, revenue: 35_000, discount: 12_000 },
        { key: day(1), units: 1, revenue: 10_000, discount: 500 },
      ]);
      expect(await s.sales.salesBy({ ...window(0, 1), groupBy: 'category' })).to.deep.include({ key: 'c', units: 5, revenue: 45_000, discount: 12_500 });
      // The ranking is by units and gross revenue: discounts change nothing in it.
      expect(await s.sales.popular(window(0, 0), 5)).to.deep.equal([
        { productId: a, units: 3, revenue: 30_000 },
        { productId: b, units: 1, revenue: 5_000 },
      ]);
    });

    it('refuses a discount below 0 or above the line’s revenue', async function () {
      const [a] = (await productsOf(['c'])) as [number];
      await rejectionOf(s.sales.record(day(0), [sale(a, 1, 1_000, -1)]));
      await rejectionOf(s.sales.record(day(0), [sale(a, 1, 1_000, 1_001)]));
      expect(await byProduct(0, 0)).to.deep.equal([]);
    });

    it('concurrent sales of one product on one day all count', async function () {
      const [a] = (await productsOf(['c'])) as [number];
      await Promise.all(Array.from({ length: 20 }, () => s.transactions.run(() => s.sales.record(day(0), [sale(a, 1, 1_500)]))));
      expect(await byProduct(0, 0)).to.deep.equal([{ key: a, units: 20, revenue: 30_000, discount: 0 }]);
    });
  });

  describe('revert', function () {
    it('takes a sale back from its day; all taken back, the product no longer shows', async function () {
      const [a, b] = (await productsOf(['c', 'c'])) as [number, number];
      await s.sales.record(day(0), [sale(a, 3, 30_000), sale(b, 1, 9_000)]);
      await s.sales.revert(day(0), [sale(a, 1, 10_000)]);
      expect(await byProduct(0, 0)).to.deep.equal([
        { key: a, units: 2, revenue: 20_000, discount: 0 },
        { key: b, units: 1, revenue: 9_000, discount: 0 },
      ]);
      await s.sales.revert(day(0), [sale(b, 1, 9_000)]);
      expect(await byProduct(0, 0)).to.deep.equal([{ key: a, units: 2, revenue: 20_000, discount: 0 }]);
      expect((await s.sales.popular(window(0, 0), 5)).map((p) => p.productId)).to.deep.equal([a]);
    });

    it('more than the day holds is INVALID_STATE and changes nothing, not even its other lines', async function () {
      const [a, b] = (await productsOf(['c', 'c'])) as [number, number];
      await s.sales.record(day(0), [sale(a, 2, 2_000), sale(b, 1, 1_000)]);
      const error = await rejectionOf(s.sales.revert(day(0), [sale(a, 1, 1_000), sale(b, 2, 2_000)]));
      expect(error.code).to.equal('INVALID_STATE');
      expect(await byProduct(0, 0)).to.deep.equal([
        { key: a, units: 2, revenue: 2_000, discount: 0 },
        { key: b, units: 1, revenue: 1_000, discount: 0 },
      ]);
    });

    it('takes the discount back with the units and revenue; more discount than the day holds is INVALID_STATE and changes nothing', async function () {
      const [a] = (await productsOf(['c'])) as [number];
      await s.sales.record(day(0), [sale(a, 2, 20_000, 3_000)]);
      expect((await rejectionOf(s.sales.revert(day(0), [sale(a, 1, 10_000, 3_001)]))).code).to.equal('INVALID_STATE');
      expect(await byProduct(0, 0)).to.deep.equal([{ key: a, units: 2, revenue: 20_000, discount: 3_000 }]);
      await s.sales.revert(day(0), [sale(a, 1, 10_000, 1_000)]);
      expect(await byProduct(0, 0)).to.deep.equal([{ key: a, units: 1, revenue: 10_000, discount: 2_000 }]);
      await s.sales.revert(day(0), [sale(a, 1, 10_000, 2_000)]);
      expect(await byProduct(0, 0)).to.deep.equal([]);
    });

    it('a day with no sale of the product is INVALID_STATE (a refund never creates a row)', async function () {
      const [a] = (await productsOf(['c'])) as [number];
      await s.sales.record(day(0), [sale(a, 1, 1_000)]);
      expect((await rejectionOf(s.sales.revert(day(1), [sale(a, 1, 1_000)]))).code).to.equal('INVALID_STATE');
      expect((await rejectionOf(s.sales.revert(day(0), [sale(a, 1, 2_000)]))).code).to.equal('INVALID_STATE');
    });
  });

  describe('popular', function () {
    it('ranks by net units, then revenue (descending), then product id (ascending), up to limit', async function () {
      const [p1, p2, p3, p4, p5] = (await productsOf(['c', 'c', 'c', 'c', 'c'])) as [number, number, number, number, number];
      await s.sales.record(day(0), [sale(p1, 2, 2_000), sale(p2, 5, 5_000), sale(p3, 2, 2_000), sale(p4, 2, 8_000), sale(p5, 1, 90_000)]);
      expect(await s.sales.popular(window(0, 0), 10)).to.deep.equal([
        { productId: p2, units: 5, revenue: 5_000 },
        { productId: p4, units: 2, revenue: 8_000 },
        { productId: p1, units: 2, revenue: 2_000 },
        { productId: p3, units: 2, revenue: 2_000 },
        { productId: p5, units: 1, revenue: 90_000 },
      ]);
      expect((await s.sales.popular(window(0, 0), 2)).map((p) => p.productId)).to.deep.equal([p2, p4]);
    });

    it('sums the days of the window, both ends counted, and nothing outside it', async function () {
      const [a, b] = (await productsOf(['c', 'c'])) as [number, number];
      await s.sales.record(day(0), [sale(a, 10, 10_000)]);
      await s.sales.record(day(1), [sale(a, 1, 1_000), sale(b, 2, 2_000)]);
      await s.sales.record(day(3), [sale(b, 2, 2_000)]);
      await s.sales.record(day(4), [sale(a, 10, 10_000)]);
      expect(await s.sales.popular(window(1, 3), 5)).to.deep.equal([
        { productId: b, units: 4, revenue: 4_000 },
        { productId: a, units: 1, revenue: 1_000 },
      ]);
      expect(await s.sales.popular(window(2, 2), 5)).to.deep.equal([]);
    });

    it('leaves out a product whose sales in the window were all refunded', async function () {
      const [a, b] = (await productsOf(['c', 'c'])) as [number, number];
      await s.sales.record(day(0), [sale(a, 3, 3_000), sale(b, 1, 1_000)]);
      await s.sales.revert(day(0), [sale(a, 3, 3_000)]);
      expect(await s.sales.popular(window(0, 0), 5)).to.deep.equal([{ productId: b, units: 1, revenue: 1_000 }]);
    });
  });

  describe('salesBy', function () {
    it('by product, category and day, in key order, over the days asked only', async function () {
      const seller = await newSeller(s.users);
      const [shoe, hat, boot] = (await productsOf(['shoes', 'hats', 'shoes'], seller)) as [number, number, number];
      await s.sales.record(day(0), [sale(shoe, 1, 10_000), sale(hat, 2, 6_000)]);
      await s.sales.record(day(2), [sale(boot, 1, 50_000), sale(shoe, 1, 10_000)]);
      await s.sales.record(day(3), [sale(hat, 9, 27_000)]);

      expect(await byProduct(0, 2)).to.deep.equal([
        { key: shoe, units: 2, revenue: 20_000, discount: 0 },
        { key: hat, units: 2, revenue: 6_000, discount: 0 },
        { key: boot, units: 1, revenue: 50_000, discount: 0 },
      ]);
      expect(await s.sales.salesBy({ ...window(0, 2), groupBy: 'category' })).to.deep.equal([
        { key: 'hats', units: 2, revenue: 6_000, discount: 0 },
        { key: 'shoes', units: 3, revenue: 70_000, discount: 0 },
      ]);
      expect(await s.sales.salesBy({ ...window(0, 3), groupBy: 'day' })).to.deep.equal([
        { key: day(0), units: 3, revenue: 16_000, discount: 0 },
        { key: day(2), units: 2, revenue: 60_000, discount: 0 },
        { key: day(3), units: 9, revenue: 27_000, discount: 0 },
      ]);
    });

    it('with a seller: only that seller’s products', async function () {
      const mine = await newSeller(s.users);
      const [own] = (await productsOf(['shared'], mine)) as [number];
      const [theirs] = (await productsOf(['shared'])) as [number];
      await s.sales.record(day(0), [sale(own, 1, 1_000), sale(theirs, 5, 5_000)]);
      expect(await s.sales.salesBy({ ...window(0, 0), groupBy: 'category', sellerId: mine })).to.deep.equal([
        { key: 'shared', units: 1, revenue: 1_000, discount: 0 },
      ]);
      expect(await s.sales.salesBy({ ...window(0, 0), groupBy: 'product', sellerId: mine })).to.deep.equal([{ key: own, units: 1, revenue: 1_000, discount: 0 }]);
      expect(await s.sales.salesBy({ ...window(0, 0), groupBy: 'day', sellerId: mine })).to.deep.equal([{ key: day(0), units: 1, revenue: 1_000, discount: 0 }]);
      expect(await s.sales.salesBy({ ...window(0, 0), groupBy: 'product', sellerId: UNKNOWN_ID })).to.deep.equal([]);
    });

    it('groups with no net sales are left out', async function () {
      const [a] = (await productsOf(['gone'])) as [number];
      await s.sales.record(day(0), [sale(a, 1, 1_000)]);
      await s.sales.revert(day(0), [sale(a, 1, 1_000)]);
      for (const groupBy of ['product', 'category', 'day'] as const) {
        expect(await s.sales.salesBy({ ...window(0, 0), groupBy }), groupBy).to.deep.equal([]);
      }
    });
  });
}
