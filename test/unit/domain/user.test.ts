import { expect } from 'chai';
import { ValidationFailed } from '../../../src/domain/shared/errors.js';
import { normalizeEmail, User } from '../../../src/domain/user/user.js';
import { expectThrowsCode, thrownBy } from '../expect-error.js';

const AT = new Date('2026-01-15T09:00:00.000Z');
const HASH = 'scrypt$1024$8$1$c2FsdA==$a2V5';

function fieldsOf(error: unknown): string[] {
  expect(error).to.be.instanceOf(ValidationFailed);
  return (error as ValidationFailed).errors.map((e) => e.field);
}

describe('User.register (one account type for every role)', () => {
  it('a BUYER keeps only the common fields: business number, admin code and introduction are dropped', () => {
    const row = User.register(
      {
        email: '  Kim@Shop.Test ',
        name: ' Kim ',
        role: 'BUYER',
        introduction: 'hello',
        businessNumber: '123-45-67890',
        adminCode: 'SECRET',
      },
      HASH,
      AT,
    );
    expect(row).to.deep.equal({
      email: 'Kim@Shop.Test',
      name: 'Kim',
      role: 'BUYER',
      passwordHash: HASH,
      introduction: null,
      businessNumber: null,
      adminCode: null,
      createdAt: AT,
    });
  });

  it('a SELLER keeps a business number shaped NNN-NN-NNNNN and an introduction, but no admin code', () => {
    const row = User.register(
      { email: 'seller@shop.test', name: 'Lee', role: 'SELLER', businessNumber: '123-45-67890', introduction: 'Shoes', adminCode: 'X' },
      HASH,
      AT,
    );
    expect(row).to.include({ role: 'SELLER', businessNumber: '123-45-67890', introduction: 'Shoes', adminCode: null });
  });

  it('a SELLER without a business number is refused, naming the field businessNumber', () => {
    const error = expectThrowsCode(
      () => User.register({ email: 's@shop.test', name: 'Lee', role: 'SELLER' }, HASH, AT),
      'VALIDATION_FAILED',
    );
    expect(fieldsOf(error)).to.deep.equal(['businessNumber']);
  });

  it('a SELLER whose business number is not shaped NNN-NN-NNNNN is refused', () => {
    for (const businessNumber of ['1234567890', '123-45-6789', '12-345-67890', '123-45-678901', 'abc-de-fghij', ' 123-45-67890', '']) {
      const error = thrownBy(() =>
        User.register({ email: 's@shop.test', name: 'Lee', role: 'SELLER', businessNumber }, HASH, AT),
      );
      expect(fieldsOf(error), businessNumber).to.deep.equal(['businessNumber']);
    }
  });

  it('an ADMIN keeps an admin code and an introduction, but no business number', () => {
    const row = User.register(
      { email: 'admin@shop.test', name: 'Park', role: 'ADMIN', adminCode: 'OPS-1', introduction: 'Ops', businessNumber: '123-45-67890' },
      HASH,
      AT,
    );
    expect(row).to.include({ role: 'ADMIN', adminCode: 'OPS-1', introduction: 'Ops', businessNumber: null });
  });

  it('an ADMIN without an admin code (missing or empty) is refused, naming the field adminCode', () => {
    for (const adminCode of [undefined, null, '']) {
      const error = expectThrowsCode(
        () => User.register({ email: 'a@shop.test', name: 'Park', role: 'ADMIN', adminCode }, HASH, AT),
        'VALIDATION_FAILED',
      );
      expect(fieldsOf(error)).to.deep.equal(['adminCode']);
    }
  });

  it('an account built from a snapshot gives the snapshot back as a copy', () => {
    const snapshot = { ...User.register({ email: 'a@shop.test', name: 'A', role: 'BUYER' }, HASH, AT), id: 5 };
    const user = User.fromSnapshot(snapshot);
    expect(user.toSnapshot()).to.deep.equal(snapshot);
    expect([user.id, user.email, user.role, user.passwordHash, user.isAdmin()]).to.deep.equal([5, 'a@shop.test', 'BUYER', HASH, false]);
    snapshot.role = 'ADMIN';
    expect(user.role).to.equal('BUYER');
  });
});

describe('normalizeEmail (e-mail is compared case-insensitively)', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Kim.Min@Shop.TEST \n')).to.equal('kim.min@shop.test');
  });

  it('gives the same value for two spellings of one address', () => {
    expect(normalizeEmail('BUYER@shop.test')).to.equal(normalizeEmail('buyer@SHOP.test'));
  });
});
