import { expect } from 'chai';
import { ScryptPasswordHasher } from '../../../../src/adapters/security/scrypt-password-hasher.js';
import type { PasswordHasher } from '../../../../src/application/ports/password-hasher.js';
import type { TransactionManager } from '../../../../src/application/ports/transaction-manager.js';
import { RateLimited, ValidationFailed } from '../../../../src/domain/shared/errors.js';
import { uniqueEmail } from '../../../support/environment.js';
import { inTransaction } from '../../../support/transactions.js';
import { expectRejectsCode } from '../../expect-error.js';
import { CLIENT, type MemoryApp, memoryApp, PASSWORD } from '../app.js';

/** Scrypt that notes, for each hash, whether a transaction was open while it ran. */
class TransactionProbingHasher implements PasswordHasher {
  readonly hashedInTransaction: boolean[] = [];
  transactions: TransactionManager | null = null;
  private readonly scrypt = new ScryptPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

  async hash(password: string): Promise<string> {
    if (this.transactions) this.hashedInTransaction.push(await inTransaction(this.transactions));
    return this.scrypt.hash(password);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.scrypt.verify(password, hash);
  }
}

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

  describe('the password hash stays out of every transaction (a pooled connection must not wait on the CPU)', () => {
    let hasher: TransactionProbingHasher;
    beforeEach(async () => {
      hasher = new TransactionProbingHasher();
      app = await memoryApp({}, { passwordHasher: hasher });
      hasher.transactions = app.transactions;
    });

    it('prepare hashes with no transaction open and stores nothing; complete stores the account and its wallet', async () => {
      const email = uniqueEmail('two-steps');
      const prepared = await app.signUp.prepare({ email, password: PASSWORD, name: 'Kim' });
      expect(hasher.hashedInTransaction).to.deep.equal([false]);
      expect(await app.users.findByEmail(email)).to.equal(null);

      const user = await app.signUp.complete(prepared);
      expect((await app.users.findByEmail(email))?.id).to.equal(user.id);
      expect((await app.wallets.get(user.id))?.balance).to.equal(0);
    });

    it('under an Idempotency-Key, run as the sign-up route runs it, the hash happens between the claim and the transaction', async () => {
      const input = { email: uniqueEmail('keyed'), password: PASSWORD, name: 'Kim' };
      const outcome = await app.runIdempotently.execute(
        { scope: { userId: 0, key: 'signup-1' }, fingerprint: 'f', admit: () => app.signUp.admit(CLIENT), prepare: () => app.signUp.prepare(input) },
        async (account) => ({ status: 201, body: { id: (await app.signUp.complete(account)).id } }),
      );
      expect(outcome.replayed).to.equal(false);
      expect(hasher.hashedInTransaction).to.deep.equal([false]);
      expect(await app.users.findByEmail(input.email)).not.to.equal(null);
    });

    it('an ADMIN creating an account hashes with no transaction open too', async () => {
      const admin = await app.admin();
      hasher.hashedInTransaction.length = 0;
      const prepared = await app.createAccount.prepare(admin, { email: uniqueEmail('seller'), password: PASSWORD, name: 'S', role: 'SELLER', businessNumber: '123-45-67890' });
      await app.createAccount.complete(prepared);
      expect(hasher.hashedInTransaction).to.deep.equal([false]);
    });

    it('a non-ADMIN asking to create an account is refused before any hash is spent on it', async () => {
      const buyer = await app.newBuyer();
      hasher.hashedInTransaction.length = 0;
      await expectRejectsCode(
        app.createAccount.prepare(buyer, { email: uniqueEmail('nope'), password: PASSWORD, name: 'S', role: 'ADMIN', adminCode: 'X' }),
        'FORBIDDEN',
      );
      expect(hasher.hashedInTransaction).to.deep.equal([]);
    });
  });

  describe('admit: sign-ups per client address (RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP)', () => {
    it('the 3rd sign-up in a minute from one address is RATE_LIMITED with the seconds to wait; another address goes on; the next minute it may again', async () => {
      app = await memoryApp({ RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP: '2' });
      await app.signUp.admit(CLIENT);
      await app.signUp.admit(CLIENT);
      const error = await expectRejectsCode(app.signUp.admit(CLIENT), 'RATE_LIMITED');
      expect((error as RateLimited).retryAfterSeconds).to.be.within(1, 60);
      await app.signUp.admit('198.51.100.7');
      app.clock.advance(60_000);
      await app.signUp.admit(CLIENT);
    });

    it('0 switches the limit off', async () => {
      app = await memoryApp({ RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP: '0' });
      for (let i = 0; i < 50; i += 1) await app.signUp.admit(CLIENT);
    });
  });
});
