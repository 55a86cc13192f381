import { expect } from 'chai';
import { MAX_PRICE, assertValidPrice } from '../../../src/domain/catalog/price.js';
import { MAX_NAME_LENGTH, Product } from '../../../src/domain/catalog/product.js';
import { MAX_STOCK, Stock } from '../../../src/domain/catalog/stock.js';
import { expectThrowsCode } from '../expect-error.js';

const details = (overrides: Partial<Parameters<typeof Product.list>[1]> = {}) => ({
  name: 'Shoe',
  category: 'shoes',
  price: 1_000,
  options: [{ name: '250', stock: 1 }],
  ...overrides,
});

describe('catalog ceilings (far inside the database columns)', () => {
  it('a price of exactly MAX_PRICE is valid; one step above is INVALID_PRICE', () => {
    assertValidPrice(MAX_PRICE);
    expectThrowsCode(() => assertValidPrice(MAX_PRICE + 100), 'INVALID_PRICE');
  });

  it('restocking up to MAX_STOCK works; one unit beyond is INVALID_STATE and changes nothing', () => {
    const stock = Stock.of(1, { total: MAX_STOCK - 10, reserved: 0, sold: 0 });
    stock.restock(10);
    expect(stock.total).to.equal(MAX_STOCK);
    expectThrowsCode(() => stock.restock(1), 'INVALID_STATE');
    expect(stock.total).to.equal(MAX_STOCK);
  });

  it('a product name is 1 to 100 characters after trimming, when listed and when changed', () => {
    Product.list(1, details({ name: 'x'.repeat(MAX_NAME_LENGTH) }), new Date());
    expectThrowsCode(() => Product.list(1, details({ name: '   ' }), new Date()), 'VALIDATION_FAILED');
    expectThrowsCode(() => Product.list(1, details({ name: 'x'.repeat(MAX_NAME_LENGTH + 1) }), new Date()), 'VALIDATION_FAILED');
    const product = Product.fromSnapshot({
      id: 1, sellerId: 1, name: 'Shoe', description: '', category: 'shoes', price: 1_000, status: 'ACTIVE', digital: false,
      createdAt: new Date(0), updatedAt: new Date(0), options: [{ id: 1, name: '250', total: 1, reserved: 0, sold: 0 }],
    });
    expectThrowsCode(() => product.change({ name: '' }, new Date()), 'VALIDATION_FAILED');
    expect(product.toSnapshot().name).to.equal('Shoe');
  });

  it('shape problems of a new product are reported before its price (400 before 422)', () => {
    expectThrowsCode(() => Product.list(1, details({ price: 150, options: [] }), new Date()), 'VALIDATION_FAILED');
  });
});
