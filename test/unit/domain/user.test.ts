import { expect } from 'chai';
import { ValidationFailed } from '../../../src/domain/shared/errors.js';
import { type AccountDetails, normalizeEmail, User } from '../../../src/domain/user/user.js';
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
      status: 'ACTIVE',
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
    const snapshot = { ...User.register({ email: 'a@shop.test', name: 'A', role: 'BUYER' }, HASH, AT), id: 5, tokenVersion: 0 };
    const user = User.fromSnapshot(snapshot);
    expect(user.toSnapshot()).to.deep.equal(snapshot);
    expect([user.id, user.email, user.role, user.passwordHash, user.isAdmin()]).to.deep.equal([5, 'a@shop.test', 'BUYER', HASH, false]);
    snapshot.role = 'ADMIN';
    expect(user.role).to.equal('BUYER');
  });

  it('a new account is ACTIVE', () => {
    expect(User.register({ email: 'a@shop.test', name: 'A', role: 'BUYER' }, HASH, AT).status).to.equal('ACTIVE');
  });
});

describe('User: role, status and password changes', () => {
  const stored = (details: Partial<AccountDetails> = {}) =>
    User.fromSnapshot({
      ...User.register({ email: 'a@shop.test', name: 'A', role: 'BUYER', ...details } as AccountDetails, HASH, AT),
      id: 9,
      tokenVersion: 3,
    });

  it('BUYER to SELLER takes the business number; to ADMIN the admin code, dropping the business number', () => {
    const user = stored();
    user.changeRole({ role: 'SELLER', businessNumber: '123-45-67890' });
    expect(user.toSnapshot()).to.include({ role: 'SELLER', businessNumber: '123-45-67890', adminCode: null });
    user.changeRole({ role: 'ADMIN', adminCode: ' OPS-2 ' });
    expect(user.toSnapshot()).to.include({ role: 'ADMIN', businessNumber: null, adminCode: 'OPS-2' });
  });

  it('a role without its field is refused, naming the field, and nothing changes', () => {
    const user = stored();
    expect(fieldsOf(expectThrowsCode(() => user.changeRole({ role: 'SELLER' }), 'VALIDATION_FAILED'))).to.deep.equal(['businessNumber']);
    expect(fieldsOf(expectThrowsCode(() => user.changeRole({ role: 'SELLER', businessNumber: '12-345' }), 'VALIDATION_FAILED'))).to.deep.equal(['businessNumber']);
    expect(fieldsOf(expectThrowsCode(() => user.changeRole({ role: 'ADMIN', adminCode: '  ' }), 'VALIDATION_FAILED'))).to.deep.equal(['adminCode']);
    expect(user.toSnapshot()).to.include({ role: 'BUYER', businessNumber: null, adminCode: null });
  });

  it('staying in a role keeps its field when none is given; a demoted ADMIN keeps no admin code nor introduction', () => {
    const admin = stored({ role: 'ADMIN', adminCode: 'OPS-1', introduction: 'Ops' });
    admin.changeRole({ role: 'ADMIN' });
    expect(admin.toSnapshot()).to.include({ role: 'ADMIN', adminCode: 'OPS-1' });
    admin.changeRole({ role: 'BUYER' });
    expect(admin.toSnapshot()).to.include({ role: 'BUYER', adminCode: null, businessNumber: null, introduction: null });
  });

  it('status and password change; the token version is left to the store', () => {
    const user = stored();
    user.changeStatus('SUSPENDED');
    user.changePassword('scrypt$new');
    expect([user.status, user.isActive(), user.passwordHash, user.tokenVersion]).to.deep.equal(['SUSPENDED', false, 'scrypt$new', 3]);
    user.changeStatus('ACTIVE');
    expect(user.isActive()).to.equal(true);
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
