import { expect } from 'chai';
import sinon from 'sinon';
import type { ProductView } from '../../../src/application/catalog/product-view.js';
import type { ProductDetails, ProductStatus } from '../../../src/domain/catalog/product.js';
import type { ProductQuery, ProductSort } from '../../../src/domain/catalog/product-repository.js';
import { PRODUCT_SORTS } from '../../../src/domain/catalog/product-repository.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { expectRejectsCode, rejectionOf } from '../expect-error.js';
import { actor, memoryApp } from './app.js';

const SELLER = actor(101, 'SELLER');
const OTHER_SELLER = actor(102, 'SELLER');
const ADMIN = actor(900, 'ADMIN');
const BUYER = actor(201, 'BUYER');
const UNKNOWN_PRODUCT = 987_654;

const details = (overrides: Partial<ProductDetails> = {}): ProductDetails => ({
  name: 'Runner',
  description: 'Light running shoe',
  category: 'shoes',
  price: 59_000,
  options: [
    { name: '260', stock: 3 },
    { name: '270', stock: 10 },
  ],
  ...overrides,
});

/** The catalog's use cases, repositories and cache, on memory adapters. */
const catalogApp = memoryApp;
type CatalogApp = Awaited<ReturnType<typeof catalogApp>>;

const query = (overrides: Partial<ProductQuery> = {}): ProductQuery => ({ page: 1, size: 20, sort: 'newest', ...overrides });

describe('catalog use cases (memory adapters)', () => {
  let app: CatalogApp;
  beforeEach(async () => {
    app = await catalogApp();
  });

  afterEach(() => sinon.restore());

  const list = (seller: Actor = SELLER, overrides: Partial<ProductDetails> = {}) => app.listProductForSale.execute(seller, details(overrides));

  describe('ListProductForSale', () => {
    it('a BUYER listing a product is FORBIDDEN and nothing is stored', async () => {
      await expectRejectsCode(list(BUYER), 'FORBIDDEN');
      expect((await app.products.list(query())).totalItems).to.equal(0);
    });

    it('a SELLER lists a product: the view has every field, the seller, the options with their stock and statuses', async () => {
      const view = await list(SELLER, { name: '  Runner ', category: ' shoes ' });

      expect(view).to.deep.equal({
        id: view.id,
        sellerId: SELLER.userId,
        name: 'Runner',
        description: 'Light running shoe',
        category: 'shoes',
        price: 59_000,
        status: 'ACTIVE',
        digital: false,
        stockStatus: 'AVAILABLE',
        availableStock: 13,
        options: [
          { id: view.options[0]!.id, name: '260', totalStock: 3, reservedStock: 0, availableStock: 3, stockStatus: 'LOW_STOCK' },
          { id: view.options[1]!.id, name: '270', totalStock: 10, reservedStock: 0, availableStock: 10, stockStatus: 'AVAILABLE' },
        ],
        createdAt: app.clock.now().toISOString(),
      });
      expect(view.options[0]!.id).to.be.lessThan(view.options[1]!.id);
      expect(await app.getProduct.execute(view.id)).to.deep.equal(view);
    });

    it('an ADMIN may list a product too, and becomes its seller', async () => {
      const view = await list(ADMIN);
      expect(view.sellerId).to.equal(ADMIN.userId);
    });

    it('an invalid price is INVALID_PRICE and an invalid option list VALIDATION_FAILED; nothing is stored', async () => {
      await expectRejectsCode(list(SELLER, { price: 150 }), 'INVALID_PRICE');
      await expectRejectsCode(list(SELLER, { options: [] }), 'VALIDATION_FAILED');
      await expectRejectsCode(list(SELLER, { options: [{ name: 'A', stock: 1 }, { name: 'a', stock: 1 }] }), 'VALIDATION_FAILED');
      expect((await app.products.list(query())).totalItems).to.equal(0);
    });

    it('uses the configured low-stock threshold (LOW_STOCK_THRESHOLD)', async () => {
      app = await catalogApp({ LOW_STOCK_THRESHOLD: '10' });
      const view = await list(SELLER, { options: [{ name: 'one', stock: 10 }, { name: 'two', stock: 11 }] });
      expect(view.options.map((o) => o.stockStatus)).to.deep.equal(['LOW_STOCK', 'AVAILABLE']);
      expect(view.stockStatus).to.equal('AVAILABLE');
    });
  });

  describe('ChangeProduct', () => {
    it('the seller changes their product: the view and the stored row change, updatedAt is now', async () => {
      const created = await list();
      app.clock.advance(60_000);

      const changed = await app.changeProduct.execute(SELLER, created.id, {
        name: ' Runner 2 ',
        description: 'Lighter',
        category: 'running',
        price: 61_000,
      });

      expect(changed).to.deep.equal({ ...created, name: 'Runner 2', description: 'Lighter', category: 'running', price: 61_000 });
      const stored = (await app.products.get(created.id))!.toSnapshot();
      expect(stored.updatedAt).to.deep.equal(app.clock.now());
      expect(stored.createdAt.toISOString()).to.equal(created.createdAt);
    });

    it('DISCONTINUED makes the product and its options DISCONTINUED, whatever the stock', async () => {
      const created = await list();
      const changed = await app.changeProduct.execute(SELLER, created.id, { status: 'DISCONTINUED' });
      expect(changed.status).to.equal('DISCONTINUED');
      expect(changed.stockStatus).to.equal('DISCONTINUED');
      expect(changed.options.map((o) => o.stockStatus)).to.deep.equal(['DISCONTINUED', 'DISCONTINUED']);
      expect(changed.availableStock).to.equal(13);
    });

    it('another seller changing the product is FORBIDDEN, and the product is unchanged', async () => {
      const created = await list();
      await expectRejectsCode(app.changeProduct.execute(OTHER_SELLER, created.id, { price: 100 }), 'FORBIDDEN');
      expect(await app.getProduct.execute(created.id)).to.deep.equal(created);
      expect((await app.products.get(created.id))!.price).to.equal(59_000);
    });

    it('a BUYER is FORBIDDEN, even for a product that does not exist (the role is checked first)', async () => {
      const created = await list();
      await expectRejectsCode(app.changeProduct.execute(BUYER, created.id, { price: 100 }), 'FORBIDDEN');
      await expectRejectsCode(app.changeProduct.execute(BUYER, UNKNOWN_PRODUCT, { price: 100 }), 'FORBIDDEN');
    });

    it('a SELLER changing a product that does not exist gets NOT_FOUND (existence before ownership)', async () => {
      await expectRejectsCode(app.changeProduct.execute(SELLER, UNKNOWN_PRODUCT, { price: 100 }), 'NOT_FOUND');
    });

    it('an ADMIN may change any product; an unknown one is NOT_FOUND', async () => {
      const created = await list();
      const changed = await app.changeProduct.execute(ADMIN, created.id, { price: 70_000 });
      expect(changed.price).to.equal(70_000);
      expect(changed.sellerId).to.equal(SELLER.userId);
      await expectRejectsCode(app.changeProduct.execute(ADMIN, UNKNOWN_PRODUCT, { price: 100 }), 'NOT_FOUND');
    });

    it('an invalid price is INVALID_PRICE and nothing changes (not even updatedAt)', async () => {
      const created = await list();
      const before = (await app.products.get(created.id))!.toSnapshot();
      app.clock.advance(1_000);
      await expectRejectsCode(app.changeProduct.execute(SELLER, created.id, { name: 'Other', price: 150 }), 'INVALID_PRICE');
      expect((await app.products.get(created.id))!.toSnapshot()).to.deep.equal(before);
    });
  });

  describe('RestockOption', () => {
    it('the seller adds units to an option: the view shows the new stock and status at once', async () => {
      const created = await list(SELLER, { options: [{ name: 'one', stock: 0 }, { name: 'two', stock: 2 }] });
      const [one, two] = created.options;

      const view = await app.restockOption.execute(SELLER, created.id, one!.id, 4);

      expect(view.options[0]).to.deep.equal({ id: one!.id, name: 'one', totalStock: 4, reservedStock: 0, availableStock: 4, stockStatus: 'LOW_STOCK' });
      expect(view.options[1]).to.deep.equal(two);
      expect(view.availableStock).to.equal(6);
      expect(view.stockStatus).to.equal('AVAILABLE');
      expect(await app.stock.levels(one!.id)).to.deep.equal({ total: 4, reserved: 0, sold: 0 });
    });

    it('an ADMIN may restock any product', async () => {
      const created = await list();
      const view = await app.restockOption.execute(ADMIN, created.id, created.options[0]!.id, 7);
      expect(view.options[0]!.totalStock).to.equal(10);
    });

    it('another seller is FORBIDDEN and a BUYER is FORBIDDEN; the stock is unchanged', async () => {
      const created = await list();
      const optionId = created.options[0]!.id;
      await expectRejectsCode(app.restockOption.execute(OTHER_SELLER, created.id, optionId, 5), 'FORBIDDEN');
      await expectRejectsCode(app.restockOption.execute(BUYER, created.id, optionId, 5), 'FORBIDDEN');
      await expectRejectsCode(app.restockOption.execute(BUYER, UNKNOWN_PRODUCT, optionId, 5), 'FORBIDDEN');
      expect(await app.stock.levels(optionId)).to.deep.equal({ total: 3, reserved: 0, sold: 0 });
    });

    it('an option of another product is NOT_FOUND, and neither option changes', async () => {
      const mine = await list();
      const theirs = await list(SELLER, { name: 'Other' });
      const foreignOption = theirs.options[0]!.id;

      await expectRejectsCode(app.restockOption.execute(SELLER, mine.id, foreignOption, 5), 'NOT_FOUND');
      await expectRejectsCode(app.restockOption.execute(ADMIN, mine.id, foreignOption, 5), 'NOT_FOUND');

      expect(await app.stock.levels(foreignOption)).to.deep.equal({ total: 3, reserved: 0, sold: 0 });
      expect(await app.getProduct.execute(mine.id)).to.deep.equal(mine);
    });

    it('an unknown product or option is NOT_FOUND', async () => {
      const created = await list();
      await expectRejectsCode(app.restockOption.execute(SELLER, UNKNOWN_PRODUCT, created.options[0]!.id, 5), 'NOT_FOUND');
      await expectRejectsCode(app.restockOption.execute(SELLER, created.id, 876_543, 5), 'NOT_FOUND');
    });

    it('a quantity that is not a positive whole number is refused and the stock is unchanged', async () => {
      const created = await list();
      const optionId = created.options[0]!.id;
      for (const quantity of [0, -3, 1.5]) {
        const error = await rejectionOf(app.restockOption.execute(SELLER, created.id, optionId, quantity));
        expect(error, `quantity ${quantity}`).to.be.instanceOf(RangeError);
      }
      expect(await app.stock.levels(optionId)).to.deep.equal({ total: 3, reserved: 0, sold: 0 });
    });
  });

  describe('GetProduct and the cache', () => {
    it('an unknown product is NOT_FOUND; a product created right after under that id is found at once (null is never cached)', async () => {
      // the memory adapter hands out ids from 1, so the first product will be product 1
      await expectRejectsCode(app.getProduct.execute(1), 'NOT_FOUND');
      await expectRejectsCode(app.getProduct.execute(1), 'NOT_FOUND');
      const created = await list();
      expect(created.id).to.equal(1);
      expect(await app.getProduct.execute(1)).to.deep.equal(created);
    });

    it('a second read is served from the cache (the repository is read once)', async () => {
      const created = await list();
      const get = sinon.spy(app.products, 'get');
      expect(await app.getProduct.execute(created.id)).to.deep.equal(created);
      expect(await app.getProduct.execute(created.id)).to.deep.equal(created);
      expect(get.callCount).to.equal(1);
    });

    it('a cached read goes back to the repository once the TTL (CATALOG_CACHE_TTL_SECONDS) has passed', async () => {
      app = await catalogApp({ CATALOG_CACHE_TTL_SECONDS: '10' });
      const created = await list();
      const get = sinon.spy(app.products, 'get');
      await app.getProduct.execute(created.id);
      app.clock.advance(9_999);
      await app.getProduct.execute(created.id);
      expect(get.callCount).to.equal(1);
      app.clock.advance(1);
      await app.getProduct.execute(created.id);
      expect(get.callCount).to.equal(2);
    });

    it('get (cached), change the price, get again: the new price', async () => {
      const created = await list();
      expect((await app.getProduct.execute(created.id)).price).to.equal(59_000);
      expect((await app.getProduct.execute(created.id)).price).to.equal(59_000);

      await app.changeProduct.execute(SELLER, created.id, { price: 45_000 });

      expect((await app.getProduct.execute(created.id)).price).to.equal(45_000);
    });

    it('get (cached), restock, get again: the new availableStock', async () => {
      const created = await list();
      expect((await app.getProduct.execute(created.id)).availableStock).to.equal(13);

      await app.restockOption.execute(SELLER, created.id, created.options[1]!.id, 20);

      const view = await app.getProduct.execute(created.id);
      expect(view.availableStock).to.equal(33);
      expect(view.options[1]!.availableStock).to.equal(30);
    });

    it('a change refused (FORBIDDEN) leaves the cached view valid', async () => {
      const created = await list();
      await app.getProduct.execute(created.id);
      await rejectionOf(app.changeProduct.execute(OTHER_SELLER, created.id, { price: 100 }));
      expect((await app.getProduct.execute(created.id)).price).to.equal(59_000);
    });

    it('list pages are invalidated by a new product, a change and a restock', async () => {
      const first = await list(SELLER, { name: 'First', category: 'cache' });
      const page = await app.listProducts.execute(query({ category: 'cache' }));
      expect(page.items.map((p) => p.name)).to.deep.equal(['First']);

      app.clock.advance(1_000);
      const second = await list(SELLER, { name: 'Second', category: 'cache' });
      expect((await app.listProducts.execute(query({ category: 'cache' }))).items.map((p) => p.name)).to.deep.equal(['Second', 'First']);

      await app.changeProduct.execute(SELLER, first.id, { price: 12_300 });
      expect((await app.listProducts.execute(query({ category: 'cache' }))).items.map((p) => p.price)).to.deep.equal([59_000, 12_300]);

      await app.restockOption.execute(SELLER, second.id, second.options[0]!.id, 100);
      expect((await app.listProducts.execute(query({ category: 'cache' }))).items.map((p) => p.availableStock)).to.deep.equal([113, 13]);
    });
  });

  describe('ListProducts', () => {
    /** Products with a known order: several share a price and several the created time. */
    async function seedForSorting(category = 'sorting'): Promise<ProductView[]> {
      const made: ProductView[] = [];
      const prices = [5_000, 3_000, 5_000, 1_000, 3_000, 5_000, 2_000];
      for (const [i, price] of prices.entries()) {
        made.push(await list(SELLER, { name: `Item ${i}`, category, price }));
        if (i % 3 === 2) app.clock.advance(60_000); // groups of three share the created time
      }
      return made;
    }

    const byId = (a: ProductView, b: ProductView) => a.id - b.id;
    const EXPECTED_ORDER: Record<ProductSort, (a: ProductView, b: ProductView) => number> = {
      newest: (a, b) => b.createdAt.localeCompare(a.createdAt) || -byId(a, b),
      price_asc: (a, b) => a.price - b.price || byId(a, b),
      price_desc: (a, b) => b.price - a.price || -byId(a, b),
    };

    it('an empty catalog is an empty first page', async () => {
      expect(await app.listProducts.execute(query())).to.deep.equal({ items: [], page: 1, size: 20, totalItems: 0, totalPages: 0 });
    });

    it('newest first, ties (same created time) broken by id, descending', async () => {
      const made = await seedForSorting();
      const page = await app.listProducts.execute(query({ sort: 'newest' }));
      expect(page.items.map((p) => p.name)).to.deep.equal(['Item 6', 'Item 5', 'Item 4', 'Item 3', 'Item 2', 'Item 1', 'Item 0']);
      expect(page.items).to.deep.equal([...made].sort(EXPECTED_ORDER.newest));
    });

    it('price_asc: cheapest first, ties broken by id ascending', async () => {
      await seedForSorting();
      const page = await app.listProducts.execute(query({ sort: 'price_asc' }));
      expect(page.items.map((p) => `${p.price}:${p.name}`)).to.deep.equal([
        '1000:Item 3',
        '2000:Item 6',
        '3000:Item 1',
        '3000:Item 4',
        '5000:Item 0',
        '5000:Item 2',
        '5000:Item 5',
      ]);
    });

    it('price_desc: dearest first, ties broken by id descending', async () => {
      await seedForSorting();
      const page = await app.listProducts.execute(query({ sort: 'price_desc' }));
      expect(page.items.map((p) => `${p.price}:${p.name}`)).to.deep.equal([
        '5000:Item 5',
        '5000:Item 2',
        '5000:Item 0',
        '3000:Item 4',
        '3000:Item 1',
        '2000:Item 6',
        '1000:Item 3',
      ]);
    });

    it('pages carry exact totals; a page past the end is empty with the same totals', async () => {
      for (let i = 0; i < 23; i += 1) await list(SELLER, { name: `P${i}` });
      const first = await app.listProducts.execute(query({ size: 5 }));
      expect([first.items.length, first.page, first.size, first.totalItems, first.totalPages]).to.deep.equal([5, 1, 5, 23, 5]);
      const last = await app.listProducts.execute(query({ size: 5, page: 5 }));
      expect([last.items.length, last.page, last.totalItems, last.totalPages]).to.deep.equal([3, 5, 23, 5]);
      const beyond = await app.listProducts.execute(query({ size: 5, page: 6 }));
      expect([beyond.items.length, beyond.page, beyond.totalItems, beyond.totalPages]).to.deep.equal([0, 6, 23, 5]);
      const exact = await app.listProducts.execute(query({ size: 23 }));
      expect([exact.items.length, exact.totalPages]).to.deep.equal([23, 1]);
    });

    for (const sort of PRODUCT_SORTS) {
      it(`walking every page (23 products, size 5, sort ${sort}) never repeats or skips a product and matches the full ordering`, async () => {
        const made: ProductView[] = [];
        const prices = [1_000, 2_000, 1_000, 3_000, 2_000];
        for (let i = 0; i < 23; i += 1) {
          made.push(await list(SELLER, { name: `Walk ${i}`, category: 'walk', price: prices[i % prices.length]! }));
          if (i % 4 === 3) app.clock.advance(1_000);
        }
        const expected = [...made].sort(EXPECTED_ORDER[sort]).map((p) => p.id);

        const seen: number[] = [];
        for (let page = 1; page <= 5; page += 1) {
          const result = await app.listProducts.execute(query({ sort, size: 5, page, category: 'walk' }));
          expect([result.totalItems, result.totalPages], `page ${page}`).to.deep.equal([23, 5]);
          expect(result.items.length, `page ${page}`).to.equal(page < 5 ? 5 : 3);
          seen.push(...result.items.map((p) => p.id));
        }

        expect(new Set(seen).size, 'no product twice').to.equal(23);
        expect(seen).to.deep.equal(expected);
        const whole = await app.listProducts.execute(query({ sort, size: 100, category: 'walk' }));
        expect(whole.items.map((p) => p.id)).to.deep.equal(expected);
      });
    }

    it('filters by category (exact)', async () => {
      await list(SELLER, { name: 'Boot', category: 'shoes' });
      await list(SELLER, { name: 'Bag', category: 'bags' });
      await list(SELLER, { name: 'Sandal', category: 'shoes' });
      const page = await app.listProducts.execute(query({ category: 'shoes', sort: 'price_asc' }));
      expect(page.items.map((p) => p.name)).to.deep.equal(['Boot', 'Sandal']);
      expect(page.totalItems).to.equal(2);
      expect((await app.listProducts.execute(query({ category: 'shoe' }))).totalItems).to.equal(0);
      expect((await app.listProducts.execute(query({ category: 'SHOES' }))).totalItems).to.equal(0);
    });

    it('q: name contains, case-insensitively', async () => {
      await list(SELLER, { name: 'Red Shoe' });
      await list(SELLER, { name: 'dark RED boots' });
      await list(SELLER, { name: 'Blue Shoe' });
      const page = await app.listProducts.execute(query({ q: 'rEd', sort: 'price_asc' }));
      expect(page.items.map((p) => p.name)).to.deep.equal(['Red Shoe', 'dark RED boots']);
      expect(page.totalItems).to.equal(2);
      expect((await app.listProducts.execute(query({ q: 'shoe' }))).totalItems).to.equal(2);
      expect((await app.listProducts.execute(query({ q: 'green' }))).totalItems).to.equal(0);
    });

    it('q: `%` and `_` are plain letters, not wildcards', async () => {
      for (const name of ['50% off', '50 off', '500 off', 'a_b', 'axb', 'ab']) await list(SELLER, { name });
      const names = async (q: string) => (await app.listProducts.execute(query({ q, sort: 'price_asc' }))).items.map((p) => p.name);
      expect(await names('%')).to.deep.equal(['50% off']);
      expect(await names('50%')).to.deep.equal(['50% off']);
      expect(await names('_')).to.deep.equal(['a_b']);
      expect(await names('a_b')).to.deep.equal(['a_b']);
    });

    it('filters by status, and combines filters', async () => {
      const a = await list(SELLER, { name: 'Alpha', category: 'x' });
      await list(SELLER, { name: 'Beta', category: 'x' });
      const c = await list(SELLER, { name: 'Alpine', category: 'y' });
      await app.changeProduct.execute(SELLER, a.id, { status: 'DISCONTINUED' });
      await app.changeProduct.execute(SELLER, c.id, { status: 'DISCONTINUED' });

      const names = async (overrides: Partial<ProductQuery>) =>
        (await app.listProducts.execute(query({ sort: 'price_asc', ...overrides }))).items.map((p) => p.name);
      const status = (s: ProductStatus) => ({ status: s });
      expect(await names(status('DISCONTINUED'))).to.deep.equal(['Alpha', 'Alpine']);
      expect(await names(status('ACTIVE'))).to.deep.equal(['Beta']);
      expect(await names({ ...status('DISCONTINUED'), category: 'x' })).to.deep.equal(['Alpha']);
      expect(await names({ ...status('DISCONTINUED'), q: 'alp', category: 'y' })).to.deep.equal(['Alpine']);
      expect(await names({ ...status('ACTIVE'), q: 'alp' })).to.deep.equal([]);
      expect(await names({})).to.deep.equal(['Alpha', 'Beta', 'Alpine']);
    });

    it('each filter combination is its own cache entry', async () => {
      await list(SELLER, { name: 'Boot', category: 'shoes' });
      await list(SELLER, { name: 'Bag', category: 'bags' });
      expect((await app.listProducts.execute(query({ category: 'shoes' }))).items.map((p) => p.name)).to.deep.equal(['Boot']);
      expect((await app.listProducts.execute(query({ category: 'bags' }))).items.map((p) => p.name)).to.deep.equal(['Bag']);
      expect((await app.listProducts.execute(query({ q: 'bo' }))).items.map((p) => p.name)).to.deep.equal(['Boot']);
      expect((await app.listProducts.execute(query({ page: 2, size: 1 }))).items.map((p) => p.name)).to.deep.equal(['Boot']);
      expect((await app.listProducts.execute(query({ page: 1, size: 1 }))).items.map((p) => p.name)).to.deep.equal(['Bag']);
    });
  });
});
