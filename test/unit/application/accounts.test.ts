import { expect } from 'chai';
import type { ValidationFailed } from '../../../src/domain/shared/errors.js';
import { uniqueEmail } from '../../support/environment.js';
import { expectRejectsCode } from '../expect-error.js';
import { actor, CLIENT, type MemoryApp, memoryApp, PASSWORD } from './app.js';

/** Calls a use case so that a synchronous throw also arrives as a rejection, as it does for an awaiting caller. */
const called = <T>(work: () => Promise<T>): Promise<T> => Promise.resolve().then(work);

describe('accounts opened by an ADMIN', () => {
  let app: MemoryApp;
  beforeEach(async () => {
    app = await memoryApp();
  });

  describe('CreateAccount', () => {
    it('a BUYER may not open accounts (FORBIDDEN), and nothing is created', async () => {
      const buyer = await app.newBuyer();
      const email = uniqueEmail('seller');
      await expectRejectsCode(
        called(() => app.createAccount.execute(buyer, { email, password: PASSWORD, name: 'S', role: 'SELLER', businessNumber: '123-45-67890' })),
        'FORBIDDEN',
      );
      expect(await app.users.findByEmail(email)).to.equal(null);
    });

    it('a SELLER may not open accounts either (FORBIDDEN)', async () => {
      await expectRejectsCode(
        called(() => app.createAccount.execute(actor(2, 'SELLER'), { email: uniqueEmail(), password: PASSWORD, name: 'A', role: 'ADMIN', adminCode: 'X' })),
        'FORBIDDEN',
      );
    });

    it('refuses through the promise it returns, like every use case, instead of throwing before returning one', async () => {
      const buyer = await app.newBuyer();
      let returned: Promise<unknown> | null = null;
      expect(() => {
        returned = app.createAccount.execute(buyer, { email: uniqueEmail(), password: PASSWORD, name: 'A', role: 'ADMIN', adminCode: 'X' });
      }, 'CreateAccount.execute threw synchronously').not.to.throw();
      if (returned) await expectRejectsCode(returned, 'FORBIDDEN');
    });

    it('an ADMIN opens a SELLER account with its business number, and its wallet', async () => {
      const admin = await app.admin();
      const email = uniqueEmail('seller');
      const seller = await app.createAccount.execute(admin, {
        email,
        password: PASSWORD,
        name: 'Lee Shoes',
        role: 'SELLER',
        businessNumber: '123-45-67890',
        introduction: 'Shoes since 1999',
      });
      expect(seller.toSnapshot()).to.include({ email, role: 'SELLER', businessNumber: '123-45-67890', introduction: 'Shoes since 1999', adminCode: null });
      expect((await app.wallets.get(seller.id))?.balance).to.equal(0);
      const issued = await app.logIn.execute({ email, password: PASSWORD }, CLIENT);
      expect(app.tokens.verify(issued.accessToken)).to.deep.equal({ userId: seller.id, role: 'SELLER', tokenVersion: 0 });
    });

    it('an ADMIN opens another ADMIN account with its admin code', async () => {
      const admin = await app.admin();
      const other = await app.createAccount.execute(admin, {
        email: uniqueEmail('admin'),
        password: PASSWORD,
        name: 'Ops',
        role: 'ADMIN',
        adminCode: 'OPS-2',
      });
      expect(other.toSnapshot()).to.include({ role: 'ADMIN', adminCode: 'OPS-2', businessNumber: null });
      expect(other.isAdmin()).to.equal(true);
    });

    it('a SELLER account without a business number is refused (VALIDATION_FAILED on businessNumber)', async () => {
      const admin = await app.admin();
      const email = uniqueEmail('seller');
      const error = await expectRejectsCode(
        app.createAccount.execute(admin, { email, password: PASSWORD, name: 'S', role: 'SELLER' }),
        'VALIDATION_FAILED',
      );
      expect((error as ValidationFailed).errors.map((e) => e.field)).to.deep.equal(['businessNumber']);
      expect(await app.users.findByEmail(email)).to.equal(null);
    });

    it('an e-mail already in use is EMAIL_TAKEN whatever the role', async () => {
      const admin = await app.admin();
      const buyer = await app.newBuyer();
      await expectRejectsCode(
        app.createAccount.execute(admin, { email: buyer.email.toUpperCase(), password: PASSWORD, name: 'S', role: 'SELLER', businessNumber: '123-45-67890' }),
        'EMAIL_TAKEN',
      );
    });
  });

  describe('EnsureAdminAccount (the first ADMIN, from configuration at start-up)', () => {
    it('creates the ADMIN the first time and reports that it exists afterwards', async () => {
      const email = uniqueEmail('root');
      expect(await app.ensureAdminAccount.execute(email, PASSWORD)).to.equal('created');
      expect(await app.ensureAdminAccount.execute(email, PASSWORD)).to.equal('exists');
      expect(await app.ensureAdminAccount.execute(email.toUpperCase(), PASSWORD)).to.equal('exists');

      const user = await app.users.findByEmail(email);
      expect(user?.role).to.equal('ADMIN');
      expect((await app.wallets.get(user?.id ?? -1))?.balance).to.equal(0);
    });

    it('an existing ADMIN keeps its password: a later start-up with another password changes nothing', async () => {
      const email = uniqueEmail('root');
      await app.ensureAdminAccount.execute(email, PASSWORD);
      expect(await app.ensureAdminAccount.execute(email, 'a-different-password')).to.equal('exists');
      const issued = await app.logIn.execute({ email, password: PASSWORD }, CLIENT);
      expect(app.tokens.verify(issued.accessToken).role).to.equal('ADMIN');
      await expectRejectsCode(app.logIn.execute({ email, password: 'a-different-password' }, CLIENT), 'UNAUTHENTICATED');
    });

    it('a configured admin password shorter than 8 characters is refused (VALIDATION_FAILED)', async () => {
      await expectRejectsCode(app.ensureAdminAccount.execute(uniqueEmail('root'), 'short'), 'VALIDATION_FAILED');
    });
  });

  describe('GetUser', () => {
    it('a BUYER reads their own account, but another user’s is FORBIDDEN even when it does not exist', async () => {
      const buyer = await app.newBuyer();
      const other = await app.newBuyer();
      expect((await app.getUser.execute(buyer, buyer.userId)).email).to.equal(buyer.email);
      await expectRejectsCode(app.getUser.execute(buyer, other.userId), 'FORBIDDEN');
      await expectRejectsCode(app.getUser.execute(buyer, 9_999), 'FORBIDDEN');
    });

    it('an ADMIN reads any account, and a missing one is NOT_FOUND', async () => {
      const admin = await app.admin();
      const buyer = await app.newBuyer();
      expect((await app.getUser.execute(admin, buyer.userId)).id).to.equal(buyer.userId);
      await expectRejectsCode(app.getUser.execute(admin, 9_999), 'NOT_FOUND');
    });
  });
});
