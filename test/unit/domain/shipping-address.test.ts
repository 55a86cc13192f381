import { expect } from 'chai';
import { assertShippable, shippingAddressOf } from '../../../src/domain/ordering/shipping-address.js';
import type { ValidationFailed } from '../../../src/domain/shared/errors.js';
import { expectThrowsCode } from '../expect-error.js';

const GIVEN = { recipient: ' Kim Minji ', phone: ' 010-1234-5678 ', postalCode: ' 06236 ', line1: ' 123 Teheran-ro ', line2: ' 5F ' };
const fieldsOf = (error: unknown) => (error as ValidationFailed).errors.map((e) => e.field);

describe('shipping address (issue 12)', () => {
  it('is kept trimmed; line2 left out or null is null', () => {
    expect(shippingAddressOf(GIVEN)).to.deep.equal({ recipient: 'Kim Minji', phone: '010-1234-5678', postalCode: '06236', line1: '123 Teheran-ro', line2: '5F' });
    const { line2: _line2, ...without } = GIVEN;
    expect(shippingAddressOf(without).line2).to.equal(null);
    expect(shippingAddressOf({ ...without, line2: null }).line2).to.equal(null);
  });

  it('takes Korean and international phone numbers: 8 to 15 digits, + first, single spaces or hyphens between groups', () => {
    for (const phone of ['01012345678', '02-123-4567', '+82 10 1234 5678', '+82-10-1234-5678', '1588-1234']) {
      expect(shippingAddressOf({ ...GIVEN, phone }).phone, phone).to.equal(phone);
    }
    for (const phone of ['010-12', '010--1234-5678', '010  1234', '+', '010-1234-567a', '1234567', '1234567890123456', '(02) 123-4567', '82+10', '']) {
      expect(fieldsOf(expectThrowsCode(() => shippingAddressOf({ ...GIVEN, phone }), 'VALIDATION_FAILED')), phone).to.deep.equal(['shippingAddress.phone']);
    }
  });

  it('refuses a postal code that is not five digits, blank text and text too long, naming every field', () => {
    const error = expectThrowsCode(
      () => shippingAddressOf({ recipient: '  ', phone: '010-1234-5678', postalCode: '1234', line1: 'x'.repeat(201), line2: ' ' }),
      'VALIDATION_FAILED',
    );
    expect(fieldsOf(error)).to.deep.equal(['shippingAddress.recipient', 'shippingAddress.postalCode', 'shippingAddress.line1', 'shippingAddress.line2']);
    expect(fieldsOf(expectThrowsCode(() => shippingAddressOf({ ...GIVEN, recipient: 'x'.repeat(51) }), 'VALIDATION_FAILED'))).to.deep.equal(['shippingAddress.recipient']);
    expect(fieldsOf(expectThrowsCode(() => shippingAddressOf({ ...GIVEN, postalCode: '062361' }), 'VALIDATION_FAILED'))).to.deep.equal(['shippingAddress.postalCode']);
  });

  it('is needed as soon as one line is physical', () => {
    assertShippable([{ productId: 1, digital: true }], null);
    assertShippable([{ productId: 1 }], shippingAddressOf(GIVEN));
    const error = expectThrowsCode(() => assertShippable([{ productId: 1, digital: true }, { productId: 2, digital: false }], null), 'VALIDATION_FAILED');
    expect((error as ValidationFailed).errors).to.deep.equal([
      { field: 'shippingAddress', message: 'is required: line 2 (product 2) is a physical product to ship; only an order of digital products may leave it out' },
    ]);
  });
});
