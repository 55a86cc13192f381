import { expect } from 'chai';
import { ValidationFailed } from '../../../src/domain/shared/errors.js';
import { uniqueEmail } from '../../support/environment.js';
import { expectRejectsCode } from '../expect-error.js';
import { type MemoryApp, memoryApp, PASSWORD } from './app.js';

describe('SignUp (anyone may open a BUYER account)', () => {
  let app: MemoryApp;
  beforeEach(async () => {
    app = await memoryApp();
  });

  it('creates a BUYER with an empty wallet of 0 won', async () => {
    const email = uniqueEmail('kim');
    const user = await app.signUp.execute({ email, password: PASSWORD, name: 'Kim' });

    expect(user.role).to.equal('BUYER');
    expect(user.id).to.be.a('number').greaterThan(0);
    expect(user.toSnapshot()).to.include({ email, name: 'Kim', businessNumber: null, adminCode: null, introduction: null });
    const wallet = await app.wallets.get(user.id);
    expect(wallet?.toSnapshot()).to.deep.equal({ userId: user.id, balance: 0, version: 0, updatedAt: app.clock.now() });
    const history = await app.wallets.history(user.id, { page: 1, size: 20 });
    expect(history.totalItems).to.equal(0);
  });

  it('stores only a salted hash of the password, never the password itself', async () => {
    const user = await app.signUp.execute({ email: uniqueEmail(), password: PASSWORD, name: 'Kim' });
    expect(user.passwordHash).not.to.include(PASSWORD);
    expect(user.passwordHash).to.match(/^scrypt\$/);
  });

  it('refuses an e-mail already registered in another letter case (EMAIL_TAKEN) and creates no second account', async () => {
    const first = await app.signUp.execute({ email: 'Kim.Buyer@Shop.Test', password: PASSWORD, name: 'Kim' });
    await expectRejectsCode(
      app.signUp.execute({ email: 'kim.buyer@shop.test', password: 'another-password-1', name: 'Other Kim' }),
      'EMAIL_TAKEN',
    );
    const found = await app.users.findByEmail('KIM.BUYER@SHOP.TEST');
    expect(found?.id).to.equal(first.id);
    expect(await app.wallets.get(first.id + 1)).to.equal(null);
  });

  it('refuses a password shorter than 8 characters (VALIDATION_FAILED on the field password) and creates nothing', async () => {
    const email = uniqueEmail();
    const error = await expectRejectsCode(app.signUp.execute({ email, password: 'seven77', name: 'Kim' }), 'VALIDATION_FAILED');
    expect((error as ValidationFailed).errors.map((e) => e.field)).to.deep.equal(['password']);
    expect(await app.users.findByEmail(email)).to.equal(null);
  });

  it('accepts a password of exactly 8 characters', async () => {
    const user = await app.signUp.execute({ email: uniqueEmail(), password: 'eight888', name: 'Kim' });
    expect(user.role).to.equal('BUYER');
  });
});
