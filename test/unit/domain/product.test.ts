import { expect } from 'chai';
import { InvalidPrice } from '../../../src/domain/catalog/errors.js';
import { assertValidPrice, PRICE_UNIT } from '../../../src/domain/catalog/price.js';
import { Product, type ProductDetails, type ProductSnapshot } from '../../../src/domain/catalog/product.js';
import { ValidationFailed } from '../../../src/domain/shared/errors.js';
import { expectThrowsCode } from '../expect-error.js';

const AT = new Date('2026-01-15T09:00:00.000Z');
const LATER = new Date('2026-01-15T10:30:00.000Z');

const details = (overrides: Partial<ProductDetails> = {}): ProductDetails => ({
  name: 'Runner',
  description: 'Light running shoe',
  category: 'shoes',
  price: 59_000,
  options: [
    { name: '260', stock: 3 },
    { name: '270', stock: 0 },
  ],
  ...overrides,
});

const snapshot = (overrides: Partial<ProductSnapshot> = {}): ProductSnapshot => ({
  id: 7,
  sellerId: 3,
  name: 'Runner',
  description: 'Light running shoe',
  category: 'shoes',
  price: 59_000,
  status: 'ACTIVE',
  digital: false,
  createdAt: AT,
  updatedAt: AT,
  options: [
    { id: 11, name: '260', total: 0, reserved: 0, sold: 8 },
    { id: 12, name: '270', total: 2, reserved: 0, sold: 0 },
  ],
  ...overrides,
});

describe('price rule (positive, whole won, a multiple of 100)', () => {
  it('prices come in steps of 100 won', () => {
    expect(PRICE_UNIT).to.equal(100);
  });

  for (const price of [100, 200, 59_000, 1_000_000_000]) {
    it(`${price} is a valid price`, () => {
      expect(() => assertValidPrice(price)).not.to.throw();
    });
  }

  for (const price of [0, -100, 150, 99.5, 50, 199, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 100]) {
    it(`${price} is INVALID_PRICE`, () => {
      const error = expectThrowsCode(() => assertValidPrice(price), 'INVALID_PRICE');
      expect(error).to.be.instanceOf(InvalidPrice);
    });
  }
});

describe('Product', () => {
  describe('list (a seller puts a product up for sale)', () => {
    it('returns the new product: trimmed name, category and option names, ACTIVE, created now, stock as given', () => {
      const draft = Product.list(
        3,
        details({ name: '  Runner  ', category: ' shoes ', options: [{ name: ' 260 ', stock: 3 }, { name: '270', stock: 0 }] }),
        AT,
      );
      expect(draft).to.deep.equal({
        sellerId: 3,
        name: 'Runner',
        description: 'Light running shoe',
        category: 'shoes',
        price: 59_000,
        status: 'ACTIVE',
        digital: false,
        createdAt: AT,
        options: [
          { name: '260', stock: 3 },
          { name: '270', stock: 0 },
        ],
      });
    });

    it('a missing or null description becomes empty', () => {
      const { description: _d, ...withoutDescription } = details();
      expect(Product.list(3, withoutDescription, AT).description).to.equal('');
      expect(Product.list(3, details({ description: null }), AT).description).to.equal('');
    });

    it('checks the price rule', () => {
      for (const price of [0, -100, 150, 99.5]) {
        expectThrowsCode(() => Product.list(3, details({ price }), AT), 'INVALID_PRICE');
      }
    });

    it('needs at least one option (VALIDATION_FAILED naming options)', () => {
      const error = expectThrowsCode(() => Product.list(3, details({ options: [] }), AT), 'VALIDATION_FAILED');
      expect(error).to.be.instanceOf(ValidationFailed);
      expect((error as ValidationFailed).errors.map((e) => e.field)).to.deep.equal(['options']);
    });

    it('option names must differ, ignoring case and surrounding spaces (VALIDATION_FAILED)', () => {
      for (const names of [
        ['Red', 'red'],
        ['RED', ' red '],
        ['260', '270', '260'],
      ]) {
        const options = names.map((name) => ({ name, stock: 1 }));
        const error = expectThrowsCode(() => Product.list(3, details({ options }), AT), 'VALIDATION_FAILED');
        expect((error as ValidationFailed).errors[0]?.field, names.join(',')).to.equal('options');
      }
    });

    it('refuses a negative or fractional stock, and accepts 0', () => {
      for (const stock of [-1, 1.5, Number.NaN]) {
        const error = expectThrowsCode(() => Product.list(3, details({ options: [{ name: 'one', stock }] }), AT), 'VALIDATION_FAILED');
        expect((error as ValidationFailed).errors[0]?.field).to.equal('options.stock');
      }
      expect(Product.list(3, details({ options: [{ name: 'one', stock: 0 }] }), AT).options).to.deep.equal([{ name: 'one', stock: 0 }]);
    });
  });

  describe('fromSnapshot / toSnapshot', () => {
    it('round-trips and copies in both directions', () => {
      const input = snapshot();
      const product = Product.fromSnapshot(input);
      input.options[0]!.total = 99;
      const out = product.toSnapshot();
      expect(out).to.deep.equal(snapshot());
      out.options[1]!.total = 55;
      expect(product.toSnapshot()).to.deep.equal(snapshot());
    });

    it('exposes id, seller, price, status and options, and finds an option by id', () => {
      const product = Product.fromSnapshot(snapshot());
      expect([product.id, product.sellerId, product.price, product.status]).to.deep.equal([7, 3, 59_000, 'ACTIVE']);
      expect(product.options.map((o) => o.id)).to.deep.equal([11, 12]);
      expect(product.option(12)?.name).to.equal('270');
      expect(product.option(13)).to.equal(undefined);
      expect(product.isDiscontinued()).to.equal(false);
    });
  });

  describe('change', () => {
    it('changes name, description, category, price and status, trimming text, and sets updatedAt', () => {
      const product = Product.fromSnapshot(snapshot());
      product.change({ name: ' Runner 2 ', description: 'Now lighter', category: ' running ', price: 61_000, status: 'DISCONTINUED' }, LATER);
      expect(product.toSnapshot()).to.deep.equal(
        snapshot({
          name: 'Runner 2',
          description: 'Now lighter',
          category: 'running',
          price: 61_000,
          status: 'DISCONTINUED',
          updatedAt: LATER,
        }),
      );
    });

    it('makes a product digital and physical again (issue 12); a new one is physical unless said digital', () => {
      const product = Product.fromSnapshot(snapshot());
      product.change({ digital: true }, LATER);
      expect(product.digital).to.equal(true);
      expect(product.toSnapshot()).to.deep.equal(snapshot({ digital: true, updatedAt: LATER }));
      product.change({ digital: false }, LATER);
      expect(product.digital).to.equal(false);
      expect(Product.list(3, details({ digital: true }), AT).digital).to.equal(true);
      expect(Product.list(3, details(), AT).digital).to.equal(false);
    });

    it('leaves what is not named untouched (createdAt, seller, options included)', () => {
      const product = Product.fromSnapshot(snapshot());
      product.change({ price: 60_000 }, LATER);
      expect(product.toSnapshot()).to.deep.equal(snapshot({ price: 60_000, updatedAt: LATER }));
    });

    it('sets updatedAt even when nothing else is named', () => {
      const product = Product.fromSnapshot(snapshot());
      product.change({}, LATER);
      expect(product.toSnapshot()).to.deep.equal(snapshot({ updatedAt: LATER }));
    });

    it('checks the price rule and changes nothing when it fails', () => {
      for (const price of [0, -100, 150, 99.5]) {
        const product = Product.fromSnapshot(snapshot());
        expectThrowsCode(() => product.change({ name: 'Other', price }, LATER), 'INVALID_PRICE');
        expect(product.toSnapshot(), `price ${price}`).to.deep.equal(snapshot());
      }
    });
  });

  describe('stock status', () => {
    it('of the product comes from the sums over its options: one sold out + one with 2 left is LOW_STOCK', () => {
      const product = Product.fromSnapshot(snapshot());
      expect(product.stockStatus()).to.equal('LOW_STOCK');
      expect(product.optionStockStatus(product.options[0]!)).to.equal('SOLD');
      expect(product.optionStockStatus(product.options[1]!)).to.equal('LOW_STOCK');
    });

    it('takes the threshold it is given', () => {
      const product = Product.fromSnapshot(snapshot());
      expect(product.stockStatus(1)).to.equal('AVAILABLE');
      expect(product.optionStockStatus(product.options[1]!, 1)).to.equal('AVAILABLE');
      expect(product.stockStatus(0)).to.equal('AVAILABLE');
    });

    it('options that all have stock 0 and never sold make the product OUT_OF_STOCK', () => {
      const product = Product.fromSnapshot(
        snapshot({
          options: [
            { id: 1, name: 'a', total: 0, reserved: 0, sold: 0 },
            { id: 2, name: 'b', total: 0, reserved: 0, sold: 0 },
          ],
        }),
      );
      expect(product.stockStatus()).to.equal('OUT_OF_STOCK');
    });

    it('a discontinued product and each of its options are DISCONTINUED', () => {
      const product = Product.fromSnapshot(snapshot({ status: 'DISCONTINUED' }));
      expect(product.isDiscontinued()).to.equal(true);
      expect(product.stockStatus()).to.equal('DISCONTINUED');
      for (const option of product.options) expect(product.optionStockStatus(option)).to.equal('DISCONTINUED');
    });
  });
});
