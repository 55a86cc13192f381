import { expect } from 'chai';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import { type Account, type ApiResponse, startTestService, type TestService } from '../support/service.js';
import { expectProblem, expectValidation } from './problem.js';
import {
  CatalogClient,
  expectProductAnswer,
  freshCategory,
  freshKey,
  type OptionView,
  PRODUCTS,
  productBody,
  productPath,
  type ProductView,
  restockPath,
  withReaderAtInvalidation,
} from './products-support.js';

const UNKNOWN_ID = 999_999_999_999;

const optionNamed = (product: ProductView, name: string): OptionView => {
  const option = product.options.find((o) => o.name === name);
  expect(option, `option ${name} of ${JSON.stringify(product)}`).to.not.equal(undefined);
  return option as OptionView;
};

/** 400 VALIDATION_FAILED with an `errors` entry whose field matches. */
function expectValidationMatching(res: ApiResponse, instance: string, field: RegExp): void {
  expectValidation(res, instance);
  const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field);
  expect(fields.some((f) => field.test(f)), `errors ${JSON.stringify(fields)} naming ${field}`).to.equal(true);
}

// The same contract over both persistence adapters: PostgreSQL (this run's database, shared by
// every suite, so each test works in a category of its own) and the in-memory adapters. Neither
// has Redis: the catalog cache here is the in-process one (products-redis.test.ts has Redis).
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: catalog (${persistence})`, function () {
    let t: TestService;
    let c: CatalogClient;
    let seller: Account;
    let otherSeller: Account;
    let buyer: Account;

    before(async function () {
      t = await startTestService({ persistence });
      c = new CatalogClient(t);
      [seller, otherSeller, buyer] = await Promise.all([t.newAccount('SELLER'), t.newAccount('SELLER'), t.newBuyer()]);
    });
    after(async function () {
      await t?.stop();
    });

    const countIn = async (category: string) => (await c.listOk({ category })).totalItems;

    describe('POST /api/v1/products', function () {
      it('a SELLER lists a product: 201 with exactly the product shape, sellerId = the caller, ACTIVE, stock per option and summed', async function () {
        const category = freshCategory();
        const before = Date.now();
        const res = await c.create(seller, {
          name: 'Trail Shoe',
          description: 'Grippy soles',
          category,
          price: 59_000,
          options: [
            { name: '250', stock: 0 },
            { name: '260', stock: 3 },
            { name: '270', stock: 6 },
          ],
        });
        const p = expectProductAnswer(res, 201);
        expect(p).to.deep.include({
          sellerId: seller.id,
          name: 'Trail Shoe',
          description: 'Grippy soles',
          category,
          price: 59_000,
          status: 'ACTIVE',
          stockStatus: 'AVAILABLE',
          availableStock: 9,
        });
        expect(p.options).to.have.length(3);
        expect(new Set(p.options.map((o) => o.id)).size, 'option ids differ').to.equal(3);
        const expected: Array<[string, number, string]> = [
          ['250', 0, 'OUT_OF_STOCK'],
          ['260', 3, 'LOW_STOCK'],
          ['270', 6, 'AVAILABLE'],
        ];
        for (const [name, stock, stockStatus] of expected) {
          const o = optionNamed(p, name);
          expect(o).to.deep.equal({ id: o.id, name, totalStock: stock, reservedStock: 0, availableStock: stock, stockStatus });
        }
        const createdAt = new Date(p.createdAt).getTime();
        expect(createdAt).to.be.within(before - 5_000, Date.now() + 5_000);
      });

      for (const [label, stocks, stockStatus] of [
        ['one option with 0 units', [0], 'OUT_OF_STOCK'],
        ['one option with 3 units', [3], 'LOW_STOCK'],
        ['one option with 5 units', [5], 'LOW_STOCK'],
        ['one option with 6 units', [6], 'AVAILABLE'],
        ['options with 2 + 1 + 0 units', [2, 1, 0], 'LOW_STOCK'],
        ['options with 3 + 3 units', [3, 3], 'AVAILABLE'],
      ] as const) {
        it(`a product with ${label} is ${stockStatus}, availableStock the sum`, async function () {
          const p = await c.createOk(
            seller,
            productBody(freshCategory(), { options: stocks.map((stock, i) => ({ name: `opt-${i}`, stock })) }),
          );
          expect(p.stockStatus).to.equal(stockStatus);
          expect(p.availableStock).to.equal(stocks.reduce((a: number, b: number) => a + b, 0));
        });
      }

      it('an ADMIN lists a product too: 201, sellerId = the admin', async function () {
        const category = freshCategory();
        const p = await c.createOk(t.admin, productBody(category));
        expect(p.sellerId).to.equal(t.admin.id);
        expect(p.status).to.equal('ACTIVE');
        expect(await countIn(category)).to.equal(1);
      });

      it('leaves out description: 201, description is still there as a string', async function () {
        const { description: _d, ...body } = productBody(freshCategory());
        const p = await c.createOk(seller, body);
        expect(p.description).to.be.a('string');
      });

      it('accepts a name of exactly 100 characters', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { name: 'n'.repeat(100) }));
        expect(p.name).to.equal('n'.repeat(100));
      });

      it('a BUYER is 403 FORBIDDEN, and nothing is created', async function () {
        const category = freshCategory();
        expectProblem(await c.create(buyer, productBody(category)), 403, 'FORBIDDEN', PRODUCTS);
        expect(await countIn(category)).to.equal(0);
      });

      it('no token is 401 UNAUTHENTICATED, and nothing is created', async function () {
        const category = freshCategory();
        expectProblem(await c.create(null, productBody(category)), 401, 'UNAUTHENTICATED', PRODUCTS);
        expect(await countIn(category)).to.equal(0);
      });

      for (const price of [150, 0, -100, 1_050]) {
        it(`price ${price} is 422 INVALID_PRICE, and nothing is created`, async function () {
          const category = freshCategory();
          expectProblem(await c.create(seller, productBody(category, { price })), 422, 'INVALID_PRICE', PRODUCTS);
          expect(await countIn(category)).to.equal(0);
        });
      }

      it('price "1000" (a string) is 400 VALIDATION_FAILED naming price', async function () {
        const category = freshCategory();
        expectValidation(await c.create(seller, { ...productBody(category), price: '1000' }), PRODUCTS, 'price');
        expect(await countIn(category)).to.equal(0);
      });

      it('missing options is 400 naming options', async function () {
        const { options: _o, ...body } = productBody(freshCategory());
        expectValidation(await c.create(seller, body), PRODUCTS, 'options');
      });

      it('empty options is 400 naming options', async function () {
        expectValidation(await c.create(seller, productBody(freshCategory(), { options: [] })), PRODUCTS, 'options');
      });

      it('an option with stock -1 is 400 naming the option\'s stock', async function () {
        const res = await c.create(seller, productBody(freshCategory(), { options: [{ name: 'M', stock: -1 }] }));
        expectValidationMatching(res, PRODUCTS, /^options(\.0|\[0\])?\.stock$/);
      });

      it('an option with stock 1.5 or "3" is 400 naming the option\'s stock', async function () {
        for (const stock of [1.5, '3']) {
          const res = await c.create(seller, { ...productBody(freshCategory()), options: [{ name: 'M', stock }] });
          expectValidationMatching(res, PRODUCTS, /^options(\.0|\[0\])?\.stock$/);
        }
      });

      // Text fields must hold something besides white space (the document's pattern \S); the
      // service trims what it stores, so a blank one would be stored empty.
      for (const [label, overrides, field] of [
        ['a blank name', { name: '   ' }, /^name$/],
        ['a blank category', { category: ' \t ' }, /^category$/],
        ['an empty name', { name: '' }, /^name$/],
        ['a blank option name', { options: [{ name: '  ', stock: 1 }] }, /^options(\.0|\[0\])?\.name$/],
      ] as const) {
        it(`${label} is 400 VALIDATION_FAILED naming it, and nothing is created`, async function () {
          const category = freshCategory();
          expectValidationMatching(await c.create(seller, { ...productBody(category), ...overrides }), PRODUCTS, field);
          expect(await countIn(category)).to.equal(0);
        });
      }

      it('surrounding white space is trimmed from name, category and option names', async function () {
        const category = freshCategory();
        const p = await c.createOk(seller, { ...productBody(category), name: '  Boot ', category: ` ${category} `, options: [{ name: ' 42 ', stock: 1 }] });
        expect(p).to.deep.include({ name: 'Boot', category });
        expect(p.options.map((o) => o.name)).to.deep.equal(['42']);
      });

      it('a name of 101 characters is 400 naming name', async function () {
        expectValidation(await c.create(seller, productBody(freshCategory(), { name: 'n'.repeat(101) })), PRODUCTS, 'name');
      });

      it('missing name, category or price is 400 naming each', async function () {
        const res = await c.create(seller, { options: [{ name: 'M', stock: 1 }] });
        expectValidation(res, PRODUCTS, 'name', 'category', 'price');
      });

      it('an unknown field is 400 naming it, and nothing is created', async function () {
        const category = freshCategory();
        expectValidation(await c.create(seller, { ...productBody(category), colour: 'red' }), PRODUCTS, 'colour');
        expect(await countIn(category)).to.equal(0);
      });

      it('an unknown field inside an option is 400 naming it', async function () {
        const res = await c.create(seller, { ...productBody(freshCategory()), options: [{ name: 'M', stock: 1, colour: 'red' }] });
        expectValidationMatching(res, PRODUCTS, /colour$/);
      });

      it('two options with the same name are 400 VALIDATION_FAILED naming options, and nothing is created', async function () {
        const category = freshCategory();
        const res = await c.create(seller, productBody(category, { options: [{ name: 'M', stock: 1 }, { name: 'M', stock: 2 }] }));
        expectValidationMatching(res, PRODUCTS, /^options/);
        expect(await countIn(category)).to.equal(0);
      });

      // API.md's order of checks: a shape problem (400) is reported before a business rule (422).
      it('duplicate option names and a bad price together: 400 (shape before business rules)', async function () {
        const res = await c.create(seller, productBody(freshCategory(), { price: 150, options: [{ name: 'M', stock: 1 }, { name: 'M', stock: 2 }] }));
        expectValidationMatching(res, PRODUCTS, /^options/);
      });

      // Prices have a documented ceiling (MAX_PRICE, 1,000,000,000 won): above it is the price
      // rule's 422, never an overflow of the database column (which was a 500).
      it('the highest price (1,000,000,000 won) is stored and read back; one step above is 422 INVALID_PRICE', async function () {
        const category = freshCategory();
        const p = expectProductAnswer(await c.create(seller, productBody(category, { price: 1_000_000_000 })), 201);
        expect((await c.getOk(p.id)).price).to.equal(1_000_000_000);
        expectProblem(await c.create(seller, productBody(category, { price: 1_000_000_100 })), 422, 'INVALID_PRICE', PRODUCTS);
        expectProblem(await c.create(seller, productBody(category, { price: 3_000_000_000 })), 422, 'INVALID_PRICE', PRODUCTS);
      });

      it('Idempotency-Key: a replay answers 201 with the same product (same id) and Idempotent-Replayed: true; one product exists', async function () {
        const category = freshCategory();
        const body = productBody(category);
        const headers = { 'Idempotency-Key': freshKey() };
        const first = await c.create(seller, body, headers);
        const second = await c.create(seller, body, headers);
        const p = expectProductAnswer(first, 201);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expectProductAnswer(second, 201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
        expect(second.body.id).to.equal(p.id);
        const page = await c.listOk({ category });
        expect(page.totalItems).to.equal(1);
        expect(page.items.map((i) => i.id)).to.deep.equal([p.id]);
      });

      it('Idempotency-Key reused with a different body: 422 IDEMPOTENCY_KEY_REUSED, nothing more created', async function () {
        const category = freshCategory();
        const headers = { 'Idempotency-Key': freshKey() };
        expectProductAnswer(await c.create(seller, productBody(category, { name: 'First' }), headers), 201);
        expectProblem(await c.create(seller, productBody(category, { name: 'Second' }), headers), 422, 'IDEMPOTENCY_KEY_REUSED', PRODUCTS);
        expect(await countIn(category)).to.equal(1);
      });
    });

    describe('GET /api/v1/products/{productId}', function () {
      it('is public: 200 without a token, the product exactly as created', async function () {
        const created = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'S', stock: 2 }, { name: 'L', stock: 7 }] }));
        const res = await c.get(created.id);
        expect(expectProductAnswer(res, 200)).to.deep.equal(created);
      });

      it('answers the same with a token', async function () {
        const created = await c.createOk(seller, productBody(freshCategory()));
        expect(expectProductAnswer(await c.get(created.id, buyer), 200)).to.deep.equal(created);
      });

      for (const id of [UNKNOWN_ID, 2_147_483_647]) {
        it(`an unknown id (${id}) is 404 NOT_FOUND`, async function () {
          expectProblem(await c.get(id), 404, 'NOT_FOUND', productPath(id));
        });
      }

      for (const id of ['abc', '0', '-1', '1.5']) {
        it(`the id "${id}" is 400 VALIDATION_FAILED naming productId`, async function () {
          expectValidation(await c.get(id), productPath(id), 'productId');
        });
      }
    });

    describe('GET /api/v1/products', function () {
      // Seven products in one category, prices with ties, names for the searches.
      const FIXTURE: Array<[string, number]> = [
        ['Red Running SHOE', 3_000],
        ['blue shoe lace', 1_000],
        ['Green Hat', 2_000],
        ['100% Cotton Tee', 1_000],
        ['snake_case Mug', 5_000],
        ['Plain Mug', 2_000],
        ['Shoehorn', 1_000],
      ];
      let category: string;
      let products: ProductView[];
      const idOf = (name: string) => (products.find((p) => p.name === name) as ProductView).id;
      const ids = (items: ProductView[]) => items.map((p) => p.id);
      const newestFirst = () =>
        [...products].sort((a, b) => new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime() || b.id - a.id).map((p) => p.id);
      const priceAscending = () => [...products].sort((a, b) => a.price - b.price || a.id - b.id).map((p) => p.id);

      before(async function () {
        category = freshCategory();
        // Created at once, so some may well share a creation time: ties are then broken by id.
        products = await Promise.all(FIXTURE.map(([name, price]) => c.createOk(seller, productBody(category, { name, price }))));
      });

      it('is public and answers {items, page, size, totalItems, totalPages}: page 1, size 20 by default', async function () {
        const page = await c.listOk({ category });
        expect(page.page).to.equal(1);
        expect(page.size).to.equal(20);
        expect(page.totalItems).to.equal(7);
        expect(page.totalPages).to.equal(1);
        expect(ids(page.items)).to.have.members(ids(products));
        for (const item of page.items) expect(item).to.deep.equal(products.find((p) => p.id === item.id));
      });

      it('sorts newest first by default (ties by id, descending), the same as sort=newest', async function () {
        const byDefault = await c.listOk({ category });
        const newest = await c.listOk({ category, sort: 'newest' });
        expect(ids(byDefault.items)).to.deep.equal(newestFirst());
        expect(ids(newest.items)).to.deep.equal(newestFirst());
      });

      it('sort=price_asc: cheapest first, ties by id ascending', async function () {
        const page = await c.listOk({ category, sort: 'price_asc' });
        expect(ids(page.items)).to.deep.equal(priceAscending());
      });

      it('sort=price_desc: dearest first', async function () {
        const page = await c.listOk({ category, sort: 'price_desc' });
        const prices = page.items.map((p) => p.price);
        expect(prices).to.deep.equal([...prices].sort((a, b) => b - a));
        expect(prices).to.deep.equal([5_000, 3_000, 2_000, 2_000, 1_000, 1_000, 1_000]);
        expect(ids(page.items)).to.have.members(ids(products));
        // The order is stable: asking again gives the same order.
        expect(ids((await c.listOk({ category, sort: 'price_desc' })).items)).to.deep.equal(ids(page.items));
      });

      for (const sort of ['newest', 'price_asc', 'price_desc']) {
        it(`pages of 3 (sort=${sort}): totalPages 3, pages 1..3 hold every product exactly once in order; page 4 is empty with the same totals`, async function () {
          const whole = ids((await c.listOk({ category, sort })).items);
          const seen: number[] = [];
          for (const [n, length] of [
            [1, 3],
            [2, 3],
            [3, 1],
          ] as const) {
            const page = await c.listOk({ category, sort, page: n, size: 3 });
            expect(page).to.deep.include({ page: n, size: 3, totalItems: 7, totalPages: 3 });
            expect(page.items).to.have.length(length);
            seen.push(...ids(page.items));
          }
          expect(seen).to.deep.equal(whole);
          expect(new Set(seen).size).to.equal(7);
          const beyond = await c.listOk({ category, sort, page: 4, size: 3 });
          expect(beyond).to.deep.equal({ items: [], page: 4, size: 3, totalItems: 7, totalPages: 3 });
        });
      }

      it('q: name contains, case-insensitive', async function () {
        const expected = [idOf('Red Running SHOE'), idOf('blue shoe lace'), idOf('Shoehorn')];
        for (const q of ['shoe', 'SHOE', 'sHoE']) {
          const page = await c.listOk({ category, q });
          expect(ids(page.items), `q=${q}`).to.have.members(expected);
          expect(page.totalItems).to.equal(3);
        }
        expect(ids((await c.listOk({ category, q: 'mug' })).items)).to.have.members([idOf('snake_case Mug'), idOf('Plain Mug')]);
        expect((await c.listOk({ category, q: 'no such thing' })).totalItems).to.equal(0);
      });

      it('q with paging: totals count the matches only', async function () {
        const page = await c.listOk({ category, q: 'shoe', size: 2, page: 2 });
        expect(page).to.deep.include({ page: 2, size: 2, totalItems: 3, totalPages: 2 });
        expect(page.items).to.have.length(1);
      });

      it('q=% matches only names that contain "%"', async function () {
        const page = await c.listOk({ category, q: '%' });
        expect(ids(page.items)).to.deep.equal([idOf('100% Cotton Tee')]);
        expect(page.totalItems).to.equal(1);
        expect(ids((await c.listOk({ category, q: '0%' })).items)).to.deep.equal([idOf('100% Cotton Tee')]);
      });

      it('q=_ matches only names that contain "_"', async function () {
        const page = await c.listOk({ category, q: '_' });
        expect(ids(page.items)).to.deep.equal([idOf('snake_case Mug')]);
        expect(page.totalItems).to.equal(1);
      });

      it('filters by category exactly: another category does not show these', async function () {
        expect((await c.listOk({ category: `${category}-other` })).totalItems).to.equal(0);
      });

      it('status=DISCONTINUED after discontinuing one; status=ACTIVE the others', async function () {
        const own = freshCategory();
        const [a, b, d] = await Promise.all([1, 2, 3].map(() => c.createOk(seller, productBody(own))));
        expect((await c.patch(seller, b!.id, { status: 'DISCONTINUED' })).status).to.equal(200);
        const discontinued = await c.listOk({ category: own, status: 'DISCONTINUED' });
        expect(ids(discontinued.items)).to.deep.equal([b!.id]);
        expect(discontinued.totalItems).to.equal(1);
        expect(discontinued.items[0]).to.deep.include({ status: 'DISCONTINUED', stockStatus: 'DISCONTINUED' });
        const active = await c.listOk({ category: own, status: 'ACTIVE' });
        expect(ids(active.items)).to.have.members([a!.id, d!.id]);
        expect((await c.listOk({ category: own })).totalItems).to.equal(3);
      });

      for (const [query, field] of [
        ['sort=cheap', 'sort'],
        ['size=0', 'size'],
        ['size=101', 'size'],
        ['page=0', 'page'],
        ['page=-1', 'page'],
        ['size=abc', 'size'],
        ['status=GONE', 'status'],
        ['foo=1', 'foo'],
      ] as const) {
        it(`${query} is 400 VALIDATION_FAILED naming ${field}`, async function () {
          expectValidation(await t.api.get(`${PRODUCTS}?category=${category}&${query}`), PRODUCTS, field);
        });
      }

      // Query values are trimmed before they are checked: a blank one is empty, so 400, never
      // a filter that matches nothing (or, for q, everything).
      for (const [query, field] of [
        ['category=%20', 'category'],
        ['category=%20%20%09', 'category'],
        ['category=', 'category'],
        ['q=%20', 'q'],
      ] as const) {
        it(`${query} (blank once trimmed) is 400 VALIDATION_FAILED naming ${field}`, async function () {
          expectValidation(await t.api.get(`${PRODUCTS}?${query}`), PRODUCTS, field);
        });
      }

      it('category and q are trimmed: %20<category>%20 is that category', async function () {
        const page = await c.listOk({ category: ` ${category} `, q: ' shoe ' });
        expect(page.totalItems).to.equal(3);
      });

      it('accepts size=100 and size=1', async function () {
        expect((await c.listOk({ category, size: 100 })).items).to.have.length(7);
        const one = await c.listOk({ category, size: 1 });
        expect(one).to.deep.include({ size: 1, totalItems: 7, totalPages: 7 });
        expect(one.items).to.have.length(1);
      });
    });

    describe('PATCH /api/v1/products/{productId}', function () {
      let product: ProductView;
      beforeEach(async function () {
        product = await c.createOk(seller, productBody(freshCategory(), { name: 'Original', price: 10_000 }));
      });

      it('its seller: 200 with the change, everything else as it was; the detail shows it', async function () {
        const res = await c.patch(seller, product.id, { name: 'Renamed', description: 'New words', price: 12_300 });
        const changed = expectProductAnswer(res, 200);
        expect(changed).to.deep.equal({ ...product, name: 'Renamed', description: 'New words', price: 12_300 });
        expect(await c.getOk(product.id)).to.deep.equal(changed);
      });

      it('its seller changes the category: the product moves to the new category\'s list', async function () {
        const target = freshCategory();
        const changed = expectProductAnswer(await c.patch(seller, product.id, { category: target }), 200);
        expect(changed.category).to.equal(target);
        expect((await c.listOk({ category: target })).items.map((p) => p.id)).to.deep.equal([product.id]);
        expect((await c.listOk({ category: product.category })).totalItems).to.equal(0);
      });

      it('another SELLER: 403 FORBIDDEN, nothing changed', async function () {
        expectProblem(await c.patch(otherSeller, product.id, { price: 20_000 }), 403, 'FORBIDDEN', productPath(product.id));
        expect(await c.getOk(product.id)).to.deep.equal(product);
      });

      it('another SELLER with an invalid price is still 403 (permission before business rules)', async function () {
        expectProblem(await c.patch(otherSeller, product.id, { price: 150 }), 403, 'FORBIDDEN', productPath(product.id));
      });

      it('a BUYER: 403 FORBIDDEN, on an existing product and on an unknown one', async function () {
        expectProblem(await c.patch(buyer, product.id, { price: 20_000 }), 403, 'FORBIDDEN', productPath(product.id));
        expectProblem(await c.patch(buyer, UNKNOWN_ID, { price: 20_000 }), 403, 'FORBIDDEN', productPath(UNKNOWN_ID));
        expect(await c.getOk(product.id)).to.deep.equal(product);
      });

      it('no token: 401 UNAUTHENTICATED', async function () {
        expectProblem(await c.patch(null, product.id, { price: 20_000 }), 401, 'UNAUTHENTICATED', productPath(product.id));
      });

      it('an ADMIN: 200 with the change', async function () {
        const changed = expectProductAnswer(await c.patch(t.admin, product.id, { price: 30_000 }), 200);
        expect(changed).to.deep.equal({ ...product, price: 30_000 });
        expect(changed.sellerId).to.equal(seller.id);
      });

      it('an unknown product (as ADMIN): 404 NOT_FOUND', async function () {
        expectProblem(await c.patch(t.admin, UNKNOWN_ID, { price: 30_000 }), 404, 'NOT_FOUND', productPath(UNKNOWN_ID));
      });

      it('an empty body {}: 400 VALIDATION_FAILED', async function () {
        expectValidation(await c.patch(seller, product.id, {}), productPath(product.id));
      });

      for (const price of [150, 0, -100]) {
        it(`price ${price}: 422 INVALID_PRICE, nothing changed`, async function () {
          expectProblem(await c.patch(seller, product.id, { price }), 422, 'INVALID_PRICE', productPath(product.id));
          expect(await c.getOk(product.id)).to.deep.equal(product);
        });
      }

      for (const [body, field] of [
        [{ price: '1000' }, 'price'],
        [{ status: 'GONE' }, 'status'],
        [{ name: 'n'.repeat(101) }, 'name'],
        [{ name: '   ' }, 'name'],
        [{ category: ' ' }, 'category'],
        [{ options: [] }, 'options'],
        [{ sellerId: 1 }, 'sellerId'],
      ] as const) {
        it(`${JSON.stringify(body).slice(0, 40)}: 400 VALIDATION_FAILED naming ${field}, nothing changed`, async function () {
          expectValidation(await c.patch(seller, product.id, body), productPath(product.id), field);
          expect(await c.getOk(product.id)).to.deep.equal(product);
        });
      }

      it('the highest price (1,000,000,000 won): 200 and read back; above it 422 INVALID_PRICE and nothing changes', async function () {
        const changed = expectProductAnswer(await c.patch(seller, product.id, { price: 1_000_000_000 }), 200);
        expect(changed.price).to.equal(1_000_000_000);
        for (const price of [1_000_000_100, 3_000_000_000]) {
          expectProblem(await c.patch(seller, product.id, { price }), 422, 'INVALID_PRICE', productPath(product.id));
        }
        expect((await c.getOk(product.id)).price).to.equal(1_000_000_000);
      });

      it('the id "abc": 400 naming productId', async function () {
        expectValidation(await c.patch(seller, 'abc', { price: 1_000 }), productPath('abc'), 'productId');
      });

      it('status DISCONTINUED: the product and every option show stockStatus DISCONTINUED; ACTIVE again brings the stock status back', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'A', stock: 0 }, { name: 'B', stock: 3 }, { name: 'C', stock: 9 }] }));
        const stopped = expectProductAnswer(await c.patch(seller, p.id, { status: 'DISCONTINUED' }), 200);
        expect(stopped.status).to.equal('DISCONTINUED');
        expect(stopped.stockStatus).to.equal('DISCONTINUED');
        expect(stopped.options.map((o) => o.stockStatus)).to.deep.equal(['DISCONTINUED', 'DISCONTINUED', 'DISCONTINUED']);
        expect(stopped.availableStock).to.equal(12);
        expect(await c.getOk(p.id)).to.deep.equal(stopped);

        const again = expectProductAnswer(await c.patch(seller, p.id, { status: 'ACTIVE' }), 200);
        expect(again).to.deep.equal(p);
      });
    });

    describe('POST /api/v1/products/{productId}/options/{optionId}/restock', function () {
      let product: ProductView;
      let optionA: OptionView;
      let optionB: OptionView;
      beforeEach(async function () {
        product = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'A', stock: 2 }, { name: 'B', stock: 0 }] }));
        optionA = optionNamed(product, 'A');
        optionB = optionNamed(product, 'B');
      });

      it('its seller: 200 with the product and the new totals; the other option is untouched', async function () {
        const res = await c.restock(seller, product.id, optionA.id, { quantity: 4 });
        const p = expectProductAnswer(res, 200);
        expect(optionNamed(p, 'A')).to.deep.equal({ ...optionA, totalStock: 6, availableStock: 6, stockStatus: 'AVAILABLE' });
        expect(optionNamed(p, 'B')).to.deep.equal(optionB);
        expect(p).to.deep.include({ id: product.id, availableStock: 6, stockStatus: 'AVAILABLE', price: product.price, name: product.name });
        expect(await c.getOk(product.id)).to.deep.equal(p);

        const more = expectProductAnswer(await c.restock(seller, product.id, optionB.id, { quantity: 1 }), 200);
        expect(optionNamed(more, 'B')).to.deep.include({ totalStock: 1, availableStock: 1, stockStatus: 'LOW_STOCK' });
        expect(more.availableStock).to.equal(7);
      });

      it('an ADMIN: 200', async function () {
        const p = expectProductAnswer(await c.restock(t.admin, product.id, optionB.id, { quantity: 10 }), 200);
        expect(optionNamed(p, 'B').totalStock).to.equal(10);
      });

      for (const quantity of [0, -1, 1.5, '5', null]) {
        it(`quantity ${JSON.stringify(quantity)}: 400 VALIDATION_FAILED naming quantity, nothing restocked`, async function () {
          expectValidation(await c.restock(seller, product.id, optionA.id, { quantity }), restockPath(product.id, optionA.id), 'quantity');
          expect(await c.getOk(product.id)).to.deep.equal(product);
        });
      }

      it('no quantity, or an unknown field: 400 naming it', async function () {
        const path = restockPath(product.id, optionA.id);
        expectValidation(await c.restock(seller, product.id, optionA.id, {}), path, 'quantity');
        expectValidation(await c.restock(seller, product.id, optionA.id, { quantity: 1, note: 'x' }), path, 'note');
      });

      it('ids that are not positive integers: 400 naming them', async function () {
        expectValidation(await c.restock(seller, 'abc', optionA.id, { quantity: 1 }), restockPath('abc', optionA.id), 'productId');
        expectValidation(await c.restock(seller, product.id, '0', { quantity: 1 }), restockPath(product.id, '0'), 'optionId');
      });

      it('an option of another product (its own seller asking): 404 NOT_FOUND, nothing restocked anywhere', async function () {
        const other = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'X', stock: 1 }] }));
        const foreign = other.options[0]!.id;
        expectProblem(await c.restock(seller, product.id, foreign, { quantity: 5 }), 404, 'NOT_FOUND', restockPath(product.id, foreign));
        expect(await c.getOk(product.id)).to.deep.equal(product);
        expect(await c.getOk(other.id)).to.deep.equal(other);
      });

      it('an unknown option or an unknown product: 404 NOT_FOUND', async function () {
        expectProblem(await c.restock(seller, product.id, UNKNOWN_ID, { quantity: 5 }), 404, 'NOT_FOUND', restockPath(product.id, UNKNOWN_ID));
        expectProblem(await c.restock(seller, UNKNOWN_ID, optionA.id, { quantity: 5 }), 404, 'NOT_FOUND', restockPath(UNKNOWN_ID, optionA.id));
      });

      it('another SELLER: 403 FORBIDDEN, nothing restocked', async function () {
        expectProblem(await c.restock(otherSeller, product.id, optionA.id, { quantity: 5 }), 403, 'FORBIDDEN', restockPath(product.id, optionA.id));
        expect(await c.getOk(product.id)).to.deep.equal(product);
      });

      // Permission (403) before existence (404): the product exists and is someone else's.
      it('another SELLER naming an option that is not on the (existing) product: 403 (permission before existence)', async function () {
        expectProblem(await c.restock(otherSeller, product.id, UNKNOWN_ID, { quantity: 5 }), 403, 'FORBIDDEN', restockPath(product.id, UNKNOWN_ID));
      });

      it('a BUYER: 403 FORBIDDEN; no token: 401', async function () {
        const path = restockPath(product.id, optionA.id);
        expectProblem(await c.restock(buyer, product.id, optionA.id, { quantity: 5 }), 403, 'FORBIDDEN', path);
        expectProblem(await c.restock(null, product.id, optionA.id, { quantity: 5 }), 401, 'UNAUTHENTICATED', path);
        expect(await c.getOk(product.id)).to.deep.equal(product);
      });

      it('Idempotency-Key: the same request twice restocks once; the replay has Idempotent-Replayed: true and the same body', async function () {
        const headers = { 'Idempotency-Key': freshKey() };
        const first = await c.restock(seller, product.id, optionA.id, { quantity: 3 }, headers);
        const second = await c.restock(seller, product.id, optionA.id, { quantity: 3 }, headers);
        expect(optionNamed(expectProductAnswer(first, 200), 'A').totalStock).to.equal(5);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expectProductAnswer(second, 200);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
        expect(optionNamed(await c.getOk(product.id), 'A').totalStock).to.equal(5);
      });

      it('Idempotency-Key reused with another quantity: 422 IDEMPOTENCY_KEY_REUSED, restocked once', async function () {
        const headers = { 'Idempotency-Key': freshKey() };
        expect((await c.restock(seller, product.id, optionA.id, { quantity: 3 }, headers)).status).to.equal(200);
        expectProblem(
          await c.restock(seller, product.id, optionA.id, { quantity: 4 }, headers),
          422,
          'IDEMPOTENCY_KEY_REUSED',
          restockPath(product.id, optionA.id),
        );
        expect(optionNamed(await c.getOk(product.id), 'A').totalStock).to.equal(5);
      });

      it('without a key, two identical requests restock twice', async function () {
        for (let i = 0; i < 2; i++) expect((await c.restock(seller, product.id, optionA.id, { quantity: 3 })).status).to.equal(200);
        expect(optionNamed(await c.getOk(product.id), 'A').totalStock).to.equal(8);
      });
    });

    describe('stock status through the API', function () {
      const statusOf = async (productId: number) => {
        const p = await c.getOk(productId);
        return { product: p.stockStatus, option: p.options[0]!.stockStatus, levels: p.options[0]! };
      };

      it('after restocks: total 0 → OUT_OF_STOCK, exactly 5 available → LOW_STOCK, 6 → AVAILABLE', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 0 }] }));
        const option = p.options[0]!.id;
        expect(await statusOf(p.id)).to.deep.include({ product: 'OUT_OF_STOCK', option: 'OUT_OF_STOCK' });

        const five = expectProductAnswer(await c.restock(seller, p.id, option, { quantity: 5 }), 200);
        expect([five.stockStatus, five.options[0]!.stockStatus]).to.deep.equal(['LOW_STOCK', 'LOW_STOCK']);
        expect((await statusOf(p.id)).product).to.equal('LOW_STOCK');

        const six = expectProductAnswer(await c.restock(seller, p.id, option, { quantity: 1 }), 200);
        expect([six.stockStatus, six.options[0]!.stockStatus]).to.deep.equal(['AVAILABLE', 'AVAILABLE']);
        expect(six.availableStock).to.equal(6);
        expect((await statusOf(p.id)).product).to.equal('AVAILABLE');
      });

      it('moving stock directly: 1 of 6 reserved → LOW_STOCK; all reserved → RESERVED; all confirmed → SOLD; a restock after → LOW_STOCK', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 6 }] }));
        const option = p.options[0]!.id;

        await c.moveStock('reserve', p.id, option, 1);
        let now = await statusOf(p.id);
        expect(now).to.deep.include({ product: 'LOW_STOCK', option: 'LOW_STOCK' });
        expect(now.levels).to.deep.include({ totalStock: 6, reservedStock: 1, availableStock: 5 });

        await c.moveStock('reserve', p.id, option, 5);
        now = await statusOf(p.id);
        expect(now).to.deep.include({ product: 'RESERVED', option: 'RESERVED' });
        expect(now.levels).to.deep.include({ totalStock: 6, reservedStock: 6, availableStock: 0 });
        expect((await c.getOk(p.id)).availableStock).to.equal(0);

        await c.moveStock('confirm', p.id, option, 6);
        now = await statusOf(p.id);
        expect(now).to.deep.include({ product: 'SOLD', option: 'SOLD' });
        expect(now.levels).to.deep.include({ totalStock: 0, reservedStock: 0, availableStock: 0 });

        const restocked = expectProductAnswer(await c.restock(seller, p.id, option, { quantity: 2 }), 200);
        expect(restocked.stockStatus).to.equal('LOW_STOCK');
      });

      it('released reservations come back: all reserved → RESERVED, all released → AVAILABLE', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 8 }] }));
        const option = p.options[0]!.id;
        await c.moveStock('reserve', p.id, option, 8);
        expect((await statusOf(p.id)).product).to.equal('RESERVED');
        await c.moveStock('release', p.id, option, 8);
        const now = await statusOf(p.id);
        expect(now.product).to.equal('AVAILABLE');
        expect(now.levels).to.deep.include({ totalStock: 8, reservedStock: 0, availableStock: 8 });
      });

      it('a product\'s status comes from the sums over its options: one SOLD and one OUT_OF_STOCK make a SOLD product', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'X', stock: 2 }, { name: 'Y', stock: 0 }] }));
        const x = optionNamed(p, 'X').id;
        await c.moveStock('reserve', p.id, x, 2);
        await c.moveStock('confirm', p.id, x, 2);
        const now = await c.getOk(p.id);
        expect(now.stockStatus).to.equal('SOLD');
        expect(optionNamed(now, 'X').stockStatus).to.equal('SOLD');
        expect(optionNamed(now, 'Y').stockStatus).to.equal('OUT_OF_STOCK');
      });

      it('a discontinued product stays DISCONTINUED whatever its stock does', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 4 }] }));
        expect((await c.patch(seller, p.id, { status: 'DISCONTINUED' })).status).to.equal(200);
        await c.moveStock('reserve', p.id, p.options[0]!.id, 4);
        expect(await statusOf(p.id)).to.deep.include({ product: 'DISCONTINUED', option: 'DISCONTINUED' });
      });
    });

    describe('cache invalidation (in-process cache), seen through the API', function () {
      it('GET detail (warms the cache), PATCH price, GET detail at once: the new price', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { price: 10_000 }));
        expect((await c.getOk(p.id)).price).to.equal(10_000);
        expect((await c.getOk(p.id)).price).to.equal(10_000);
        expect((await c.patch(seller, p.id, { price: 11_000 })).status).to.equal(200);
        expect((await c.getOk(p.id)).price).to.equal(11_000);
      });

      it('GET list (warms), PATCH price, GET list at once: the new price and order', async function () {
        const category = freshCategory();
        const cheap = await c.createOk(seller, productBody(category, { price: 1_000 }));
        const dear = await c.createOk(seller, productBody(category, { price: 2_000 }));
        expect((await c.listOk({ category, sort: 'price_asc' })).items.map((p) => p.id)).to.deep.equal([cheap.id, dear.id]);
        expect((await c.patch(seller, cheap.id, { price: 3_000 })).status).to.equal(200);
        const page = await c.listOk({ category, sort: 'price_asc' });
        expect(page.items.map((p) => [p.id, p.price])).to.deep.equal([
          [dear.id, 2_000],
          [cheap.id, 3_000],
        ]);
      });

      it('GET list and detail (warm), restock, GET list and detail at once: the new availableStock', async function () {
        const category = freshCategory();
        const p = await c.createOk(seller, productBody(category, { options: [{ name: 'ONE', stock: 2 }] }));
        expect((await c.listOk({ category })).items[0]!.availableStock).to.equal(2);
        expect((await c.getOk(p.id)).availableStock).to.equal(2);
        expect((await c.restock(seller, p.id, p.options[0]!.id, { quantity: 7 })).status).to.equal(200);
        const item = (await c.listOk({ category })).items[0]!;
        expect(item.availableStock).to.equal(9);
        expect(item.stockStatus).to.equal('AVAILABLE');
        expect((await c.getOk(p.id)).availableStock).to.equal(9);
      });

      it('GET list (warms), create a product in that category, GET list at once: it is there', async function () {
        const category = freshCategory();
        const first = await c.createOk(seller, productBody(category));
        expect((await c.listOk({ category })).totalItems).to.equal(1);
        const second = await c.createOk(seller, productBody(category));
        const page = await c.listOk({ category });
        expect(page.totalItems).to.equal(2);
        expect(page.items.map((p) => p.id)).to.have.members([first.id, second.id]);
      });

      it('GET list filtered by status (warms), discontinue, GET both filters at once: moved across', async function () {
        const category = freshCategory();
        const p = await c.createOk(seller, productBody(category));
        expect((await c.listOk({ category, status: 'ACTIVE' })).totalItems).to.equal(1);
        expect((await c.listOk({ category, status: 'DISCONTINUED' })).totalItems).to.equal(0);
        expect((await c.patch(seller, p.id, { status: 'DISCONTINUED' })).status).to.equal(200);
        expect((await c.listOk({ category, status: 'ACTIVE' })).totalItems).to.equal(0);
        expect((await c.listOk({ category, status: 'DISCONTINUED' })).items.map((i) => i.id)).to.deep.equal([p.id]);
      });

      it('a reader arriving just as a PATCH invalidates the cache reads the new price, and so does the next', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { price: 10_000 }));
        await c.getOk(p.id);
        const seen: number[] = [];
        await withReaderAtInvalidation(
          t,
          async () => seen.push((await c.getOk(p.id)).price),
          async () => expect((await c.patch(seller, p.id, { price: 15_000 })).status).to.equal(200),
        );
        expect(seen).to.deep.equal([15_000]);
        expect((await c.getOk(p.id)).price).to.equal(15_000);
      });

      // The restock runs inside the idempotency transaction: its cache invalidation must wait for
      // that transaction's commit, or a reader in between caches the old row under the new
      // generation and every later read is stale until the TTL.
      it('a reader arriving just as a restock invalidates the cache does not leave the old stock cached', async function () {
        const p = await c.createOk(seller, productBody(freshCategory(), { options: [{ name: 'ONE', stock: 2 }] }));
        await c.getOk(p.id);
        await withReaderAtInvalidation(
          t,
          () => c.getOk(p.id),
          async () => expect((await c.restock(seller, p.id, p.options[0]!.id, { quantity: 5 })).status).to.equal(200),
        );
        expect((await c.getOk(p.id)).availableStock).to.equal(7);
      });

      // The same for creation and the list pages.
      it('a reader of the list arriving just as a creation invalidates the cache does not leave the list without the new product', async function () {
        const category = freshCategory();
        let created: ProductView | null = null;
        await withReaderAtInvalidation(
          t,
          () => c.listOk({ category }),
          async () => {
            created = await c.createOk(seller, productBody(category));
          },
        );
        const page = await c.listOk({ category });
        expect(page.items.map((i) => i.id)).to.deep.equal([(created as ProductView | null)?.id]);
      });
    });
  });
}

/** What the served document (built from the routes' declarations) says about the catalog's input. */
describe('e2e: catalog, the OpenAPI document', function () {
  type Schema = { [key: string]: unknown; properties?: Record<string, Schema>; items?: Schema };
  const schemas = (openApiDocument.components as { schemas: Record<string, Schema> }).schemas;
  const operation = (path: string, method: string) =>
    (openApiDocument.paths as Record<string, Record<string, { description?: string; parameters?: Array<Record<string, unknown>> }>>)[path]?.[method];
  const field = (schema: string, ...path: string[]): Schema => {
    let at: Schema | undefined = schemas[schema];
    for (const key of path) at = key === '[]' ? at?.items : at?.properties?.[key];
    expect(at, `${schema}.${path.join('.')}`).to.not.equal(undefined);
    return at!;
  };

  it('states the highest price, and that above it is 422 INVALID_PRICE, on price when listing and when changing a product', function () {
    for (const name of ['CreateProductRequest', 'UpdateProductRequest']) {
      const price = field(name, 'price');
      expect(price['type'], name).to.equal('integer');
      expect(price['description'], name).to.match(/above 1,000,000,000/).and.to.match(/422 INVALID_PRICE/);
    }
  });

  it('says text fields must not be blank (pattern \\S) and are trimmed: name, category, option names', function () {
    for (const [schema, ...path] of [
      ['CreateProductRequest', 'name'],
      ['CreateProductRequest', 'category'],
      ['CreateProductRequest', 'options', '[]', 'name'],
      ['UpdateProductRequest', 'name'],
      ['UpdateProductRequest', 'category'],
    ] as const) {
      const text = field(schema, ...path);
      expect(text['pattern'], `${schema}.${path.join('.')}`).to.equal('\\S');
      expect(text['description'], `${schema}.${path.join('.')}`).to.match(/must not be blank/).and.to.match(/Trimmed/);
    }
  });

  it('GET /products: unknown query parameters are 400; category and q are trimmed and must not be blank', function () {
    const list = operation('/api/v1/products', 'get');
    expect(list?.description).to.include('Unknown query parameters are 400.');
    for (const name of ['category', 'q']) {
      const parameter = list?.parameters?.find((p) => p['name'] === name);
      expect(parameter, name).to.not.equal(undefined);
      expect((parameter!['schema'] as Schema)['pattern'], name).to.equal('\\S');
      expect(parameter!['description'], name).to.match(/trimmed/).and.to.match(/must not be blank/);
    }
  });
});
