import { expect } from 'chai';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import { Product, type NewProduct, type ProductSnapshot } from '../../src/domain/catalog/product.js';
import { PRODUCT_SORTS, type ProductQuery, type ProductRepository, type ProductSort } from '../../src/domain/catalog/product-repository.js';
import type { StockRepository } from '../../src/domain/catalog/stock-repository.js';
import type { UserRepository } from '../../src/domain/user/user-repository.js';
import { type CatalogSubject, LISTED_AT, newProduct, newSeller } from './catalog-contract-support.js';
import { rejectionOf, UNKNOWN_ID, uniqueToken } from './contract-support.js';

/** The n-th minute after LISTED_AT, with milliseconds that must survive the round trip. */
const at = (n: number) => new Date(LISTED_AT.getTime() + n * 60_000);

/** What a product added from `input` must look like, given the ids the repository chose. */
function expectedSnapshot(input: NewProduct, id: number, optionIds: number[]): ProductSnapshot {
  const { options, ...rest } = input;
  return {
    ...rest,
    id,
    updatedAt: input.createdAt,
    options: options.map((o, i) => ({ id: optionIds[i]!, name: o.name, total: o.stock, reserved: 0, sold: 0 })),
  };
}

/** What every ProductRepository must do, whatever it stores products in. */
export function productRepositoryContract(makeSubject: () => Promise<CatalogSubject>): void {
  let products: ProductRepository;
  let stock: StockRepository;
  let users: UserRepository;
  let transactions: TransactionManager;
  let sellerId: number;

  beforeEach(async function () {
    ({ products, stock, users, transactions } = await makeSubject());
    sellerId = await newSeller(users);
  });

  const add = (overrides: Partial<NewProduct> = {}, options?: NewProduct['options']) =>
    transactions.run(() => products.add(newProduct(sellerId, overrides, options)));

  describe('add, get and getForUpdate', function () {
    it('add returns the product with a positive whole id, exactly the fields given, updatedAt = createdAt, options in id order at 0 reserved / 0 sold', async function () {
      const input = newProduct(sellerId, { name: 'Trail Runner', description: '', category: uniqueToken('cat') }, [
        { name: '270', stock: 4 },
        { name: '250', stock: 0 },
        { name: '260', stock: 12 },
      ]);

      const product = await transactions.run(() => products.add(input));

      expect(product).to.be.instanceOf(Product);
      expect(Number.isSafeInteger(product.id) && product.id > 0, `id ${product.id}`).to.equal(true);
      const optionIds = product.options.map((o) => o.id);
      expect(optionIds.every((id) => Number.isSafeInteger(id) && id > 0)).to.equal(true);
      expect([...optionIds].sort((a, b) => a - b), 'options in id order').to.deep.equal(optionIds);
      expect(new Set(optionIds).size).to.equal(3);
      expect(product.toSnapshot()).to.deep.equal(expectedSnapshot(input, product.id, optionIds));
    });

    it('get returns the stored product, the same as add returned', async function () {
      const input = newProduct(sellerId, { status: 'DISCONTINUED', price: 123_400 }, [
        { name: 'S', stock: 1 },
        { name: 'M', stock: 2 },
      ]);
      const added = await transactions.run(() => products.add(input));

      const found = await products.get(added.id);

      expect(found).to.be.instanceOf(Product);
      expect(found?.toSnapshot()).to.deep.equal(added.toSnapshot());
      expect(found?.toSnapshot()).to.deep.equal(expectedSnapshot(input, added.id, added.options.map((o) => o.id)));
    });

    it('getForUpdate (in a transaction) returns the same state as get', async function () {
      const added = await add();
      const locked = await transactions.run(() => products.getForUpdate(added.id));
      expect(locked?.toSnapshot()).to.deep.equal(added.toSnapshot());
    });

    it('get and getForUpdate of an unknown id are null', async function () {
      expect(await products.get(UNKNOWN_ID)).to.equal(null);
      expect(await transactions.run(() => products.getForUpdate(UNKNOWN_ID))).to.equal(null);
    });

    it('gives every product and every option an id of its own', async function () {
      const a = await add({}, [{ name: 'x', stock: 1 }, { name: 'y', stock: 1 }]);
      const b = await add({}, [{ name: 'x', stock: 1 }, { name: 'y', stock: 1 }]);
      expect(a.id).not.to.equal(b.id);
      const optionIds = [...a.options, ...b.options].map((o) => o.id);
      expect(new Set(optionIds).size).to.equal(4);
    });

    it('get shows the current stock levels of the options', async function () {
      const added = await add({}, [{ name: 'x', stock: 10 }, { name: 'y', stock: 5 }]);
      const [x, y] = added.options.map((o) => o.id) as [number, number];
      await stock.reserve([{ optionId: x, quantity: 4 }]);
      await stock.confirm([{ optionId: x, quantity: 3 }]);
      await stock.restock({ optionId: y, quantity: 2 });

      const found = await products.get(added.id);

      expect(found?.options).to.deep.equal([
        { id: x, name: 'x', total: 7, reserved: 1, sold: 3 },
        { id: y, name: 'y', total: 7, reserved: 0, sold: 0 },
      ]);
    });

    it('an add inside a transaction that then throws leaves nothing behind', async function () {
      let addedId = 0;
      const boom = new Error('boom after the add');
      const error = await rejectionOf(
        transactions.run(async () => {
          addedId = (await products.add(newProduct(sellerId))).id;
          throw boom;
        }),
      );
      expect(error).to.equal(boom);
      expect(addedId).to.be.greaterThan(0);
      expect(await products.get(addedId)).to.equal(null);
    });
  });

  describe('save', function () {
    it('writes name, description, category, price, status and updatedAt; keeps id, seller, createdAt and options', async function () {
      const added = await add({}, [{ name: 'x', stock: 3 }]);
      const changedAt = at(90);

      await transactions.run(async () => {
        const product = await products.getForUpdate(added.id);
        product!.change({ name: 'Renamed', description: 'New words', category: 'elsewhere', price: 20_000, status: 'DISCONTINUED' }, changedAt);
        await products.save(product!);
      });

      expect((await products.get(added.id))?.toSnapshot()).to.deep.equal({
        ...added.toSnapshot(),
        name: 'Renamed',
        description: 'New words',
        category: 'elsewhere',
        price: 20_000,
        status: 'DISCONTINUED',
        updatedAt: changedAt,
      });
    });

    it('writes whether the product is digital, both ways (issue 12)', async function () {
      const added = await add({ digital: true });
      expect((await products.get(added.id))?.digital).to.equal(true);

      await transactions.run(async () => {
        const product = await products.getForUpdate(added.id);
        product!.change({ digital: false }, at(90));
        await products.save(product!);
      });

      expect((await products.get(added.id))?.toSnapshot()).to.deep.equal({ ...added.toSnapshot(), digital: false, updatedAt: at(90) });
    });

    it('touches only the product it saves', async function () {
      const a = await add({ name: 'A' });
      const b = await add({ name: 'B' });
      const changed = (await products.get(a.id))!;
      changed.change({ price: 99_900 }, at(5));
      await transactions.run(() => products.save(changed));
      expect((await products.get(b.id))?.toSnapshot()).to.deep.equal(b.toSnapshot());
    });

    it('never writes stock: saving a product loaded before a stock move keeps the move', async function () {
      const added = await add({}, [{ name: 'x', stock: 10 }]);
      const optionId = added.options[0]!.id;
      const stale = (await products.get(added.id))!;
      await stock.reserve([{ optionId, quantity: 4 }]);

      stale.change({ price: 30_000 }, at(1));
      await transactions.run(() => products.save(stale));

      expect(await stock.levels(optionId)).to.deep.equal({ total: 10, reserved: 4, sold: 0 });
      expect((await products.get(added.id))?.options[0]).to.deep.include({ total: 10, reserved: 4, sold: 0 });
      expect((await products.get(added.id))?.price).to.equal(30_000);
    });

    it('a save inside a transaction that then throws changes nothing', async function () {
      const added = await add();
      await rejectionOf(
        transactions.run(async () => {
          const product = await products.getForUpdate(added.id);
          product!.change({ name: 'Never', price: 50_000 }, at(3));
          await products.save(product!);
          throw new Error('boom after the save');
        }),
      );
      expect((await products.get(added.id))?.toSnapshot()).to.deep.equal(added.toSnapshot());
    });
  });

  describe('list', function () {
    let category: string;
    beforeEach(function () {
      // The PostgreSQL database is shared by the whole run: every list test looks at its own category.
      category = uniqueToken('cat');
    });

    const query = (overrides: Partial<ProductQuery> = {}): ProductQuery => ({ page: 1, size: 20, sort: 'newest', category, ...overrides });
    const names = async (overrides: Partial<ProductQuery> = {}) => (await products.list(query(overrides))).items.map((p) => p.toSnapshot().name);

    /**
     * Seven products, in this order of creation (so of id): prices with ties, created times with
     * ties (groups of three share a minute).
     */
    async function seed(): Promise<void> {
      const prices = [5_000, 3_000, 5_000, 1_000, 3_000, 5_000, 2_000];
      for (const [i, price] of prices.entries()) {
        await add({ name: `Item ${i}`, category, price, createdAt: at(Math.floor(i / 3)) });
      }
    }

    it('newest: latest created first, ties broken by id descending', async function () {
      await seed();
      expect(await names({ sort: 'newest' })).to.deep.equal(['Item 6', 'Item 5', 'Item 4', 'Item 3', 'Item 2', 'Item 1', 'Item 0']);
    });

    it('price_asc: cheapest first, ties broken by id ascending', async function () {
      await seed();
      expect(await names({ sort: 'price_asc' })).to.deep.equal(['Item 3', 'Item 6', 'Item 1', 'Item 4', 'Item 0', 'Item 2', 'Item 5']);
    });

    it('price_desc: dearest first, ties broken by id descending', async function () {
      await seed();
      expect(await names({ sort: 'price_desc' })).to.deep.equal(['Item 5', 'Item 2', 'Item 0', 'Item 4', 'Item 1', 'Item 6', 'Item 3']);
    });

    it('newest orders by created time, not by id', async function () {
      // added in an order that differs from created time (by id it would be newer, oldest, middle)
      await add({ name: 'middle', category, createdAt: at(5) });
      await add({ name: 'oldest', category, createdAt: at(0) });
      await add({ name: 'newer', category, createdAt: at(10) });
      expect(await names({ sort: 'newest' })).to.deep.equal(['newer', 'middle', 'oldest']);
    });

    it('items are whole products with their options in id order and current levels', async function () {
      const added = await add({ name: 'With options', category }, [{ name: 'b', stock: 2 }, { name: 'a', stock: 5 }]);
      await stock.reserve([{ optionId: added.options[1]!.id, quantity: 1 }]);
      const page = await products.list(query());
      expect(page.items).to.have.length(1);
      expect(page.items[0]).to.be.instanceOf(Product);
      const expected = added.toSnapshot();
      expected.options[1]!.reserved = 1;
      expect(page.items[0]!.toSnapshot()).to.deep.equal(expected);
    });

    it('pages: exact totals, the last page short, a page past the end empty with the same totals', async function () {
      for (let i = 0; i < 12; i += 1) await add({ name: `P${i}`, category });
      const page = async (n: number) => {
        const p = await products.list(query({ page: n, size: 5 }));
        return { count: p.items.length, page: p.page, size: p.size, totalItems: p.totalItems, totalPages: p.totalPages };
      };
      expect(await page(1)).to.deep.equal({ count: 5, page: 1, size: 5, totalItems: 12, totalPages: 3 });
      expect(await page(3)).to.deep.equal({ count: 2, page: 3, size: 5, totalItems: 12, totalPages: 3 });
      expect(await page(4)).to.deep.equal({ count: 0, page: 4, size: 5, totalItems: 12, totalPages: 3 });
    });

    it('an empty result is an empty first page with zero totals', async function () {
      const p = await products.list(query());
      expect({ ...p, items: p.items.length }).to.deep.equal({ items: 0, page: 1, size: 20, totalItems: 0, totalPages: 0 });
    });

    for (const sort of PRODUCT_SORTS) {
      it(`walking every page (23 products, size 5, sort ${sort}) never repeats or skips a product`, async function () {
        const prices = [1_000, 2_000, 1_000, 3_000, 2_000];
        for (let i = 0; i < 23; i += 1) {
          await add({ name: `Walk ${String(i).padStart(2, '0')}`, category, price: prices[i % prices.length]!, createdAt: at(Math.floor(i / 4)) });
        }
        const all = (await products.list(query({ sort, size: 100 }))).items.map((p) => p.toSnapshot());
        expect(all).to.have.length(23);
        expect(all.map((p) => p.id)).to.deep.equal([...all].sort(ORDER[sort]).map((p) => p.id));

        const seen: number[] = [];
        for (let n = 1; n <= 5; n += 1) {
          const result = await products.list(query({ sort, size: 5, page: n }));
          expect([result.totalItems, result.totalPages, result.items.length], `page ${n}`).to.deep.equal([23, 5, n < 5 ? 5 : 3]);
          seen.push(...result.items.map((p) => p.id));
        }
        expect(seen).to.deep.equal(all.map((p) => p.id));
        expect(new Set(seen).size).to.equal(23);
      });
    }

    it('category is an exact match', async function () {
      await add({ name: 'In', category });
      await add({ name: 'Other', category: `${category}-x` });
      await add({ name: 'Upper', category: category.toUpperCase() });
      expect(await names()).to.deep.equal(['In']);
      expect((await products.list(query())).totalItems).to.equal(1);
    });

    it('q: the name contains it, case-insensitively', async function () {
      for (const name of ['Red Shoe', 'dark RED boots', 'Blue Shoe', 'Reed mat']) await add({ name, category });
      expect(await names({ q: 'rEd', sort: 'price_asc' })).to.deep.equal(['Red Shoe', 'dark RED boots']);
      expect((await products.list(query({ q: 'red' }))).totalItems).to.equal(2);
      expect(await names({ q: 'SHOE', sort: 'price_asc' })).to.deep.equal(['Red Shoe', 'Blue Shoe']);
      expect(await names({ q: 'green' })).to.deep.equal([]);
    });

    it('q: `%`, `_` and `\\` match only themselves', async function () {
      for (const name of ['50% off', '50 off', '500 off', 'a_b', 'axb', 'ab', 'back\\slash', 'backslash']) await add({ name, category });
      const found = (q: string) => names({ q, sort: 'price_asc' });
      expect(await found('%')).to.deep.equal(['50% off']);
      expect(await found('50%')).to.deep.equal(['50% off']);
      expect(await found('0%_')).to.deep.equal([]);
      expect(await found('_')).to.deep.equal(['a_b']);
      expect(await found('a_b')).to.deep.equal(['a_b']);
      expect(await found('\\')).to.deep.equal(['back\\slash']);
      expect((await products.list(query({ q: '%' }))).totalItems).to.equal(1);
    });

    it('status filters, and every filter combines with the others and with paging', async function () {
      const alpha = await add({ name: 'Alpha', category, price: 1_000 });
      await add({ name: 'Beta', category, price: 2_000 });
      const alpine = await add({ name: 'Alpine', category, price: 3_000 });
      await add({ name: 'Alps', category, price: 4_000 });
      for (const product of [alpha, alpine]) {
        product.change({ status: 'DISCONTINUED' }, at(9));
        await transactions.run(() => products.save(product));
      }

      expect(await names({ status: 'DISCONTINUED', sort: 'price_asc' })).to.deep.equal(['Alpha', 'Alpine']);
      expect(await names({ status: 'ACTIVE', sort: 'price_asc' })).to.deep.equal(['Beta', 'Alps']);
      expect(await names({ status: 'ACTIVE', q: 'ALP', sort: 'price_asc' })).to.deep.equal(['Alps']);
      expect(await names({ q: 'alp', sort: 'price_desc' })).to.deep.equal(['Alps', 'Alpine', 'Alpha']);
      const paged = await products.list(query({ q: 'alp', sort: 'price_asc', size: 2, page: 2 }));
      expect([paged.items.map((p) => p.toSnapshot().name), paged.totalItems, paged.totalPages]).to.deep.equal([['Alps'], 3, 2]);
      expect(await names({})).to.deep.equal(['Alps', 'Alpine', 'Beta', 'Alpha']);
    });

    it('a list inside a transaction sees the transaction’s own writes', async function () {
      await transactions.run(async () => {
        await products.add(newProduct(sellerId, { name: 'Uncommitted', category }));
        expect((await products.list(query())).items.map((p) => p.toSnapshot().name)).to.deep.equal(['Uncommitted']);
      });
    });
  });
}

const ORDER: Record<ProductSort, (a: ProductSnapshot, b: ProductSnapshot) => number> = {
  newest: (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id,
  price_asc: (a, b) => a.price - b.price || a.id - b.id,
  price_desc: (a, b) => b.price - a.price || b.id - a.id,
};
