import { expect } from 'chai';
import { RateLimited, TooManyFailures } from '../../../../src/domain/shared/errors.js';
import { uniqueEmail } from '../../../support/environment.js';
import { expectRejectsCode } from '../../expect-error.js';
import { CLIENT, type MemoryApp, memoryApp, PASSWORD } from '../app.js';

const MINUTE = 60_000;
/** Another client address (documentation range): the account's owner, elsewhere. */
const OWNER = '198.51.100.7';
const ATTACKER = '203.0.113.66';

describe('LogIn', () => {
  let app: MemoryApp;
  let email: string;
  let userId: number;

  beforeEach(async () => {
    app = await memoryApp();
    email = uniqueEmail('buyer');
    ({ userId } = await app.newBuyer(email));
  });

  const logIn = (from = CLIENT, account = email, password = PASSWORD) => app.logIn.execute({ email: account, password }, from);
  const fail = (times: number, account = email, from = CLIENT) =>
    (async () => {
      for (let i = 0; i < times; i += 1) {
        await expectRejectsCode(logIn(from, account, 'wrong-password'), 'UNAUTHENTICATED');
      }
    })();

  it('the right password issues a token that the token service verifies to the same user and role', async () => {
    const issued = await logIn();
    expect(issued.expiresInSeconds).to.equal(3600);
    expect(app.tokens.verify(issued.accessToken)).to.deep.equal({ userId, role: 'BUYER', tokenVersion: 0 });
  });

  it('the e-mail is matched whatever its letter case', async () => {
    const issued = await logIn(CLIENT, `  ${email.toUpperCase()} `);
    expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
  });

  it('a wrong password is UNAUTHENTICATED', async () => {
    await expectRejectsCode(logIn(CLIENT, email, `${PASSWORD}x`), 'UNAUTHENTICATED');
  });

  it('an unknown e-mail is UNAUTHENTICATED, with the same message as a wrong password', async () => {
    const unknown = await expectRejectsCode(logIn(CLIENT, uniqueEmail('nobody')), 'UNAUTHENTICATED');
    const wrong = await expectRejectsCode(logIn(CLIENT, email, 'wrong-password'), 'UNAUTHENTICATED');
    expect((unknown as Error).message).to.equal((wrong as Error).message);
  });

  describe('failures per account and client address (FAILURE_BLOCK_THRESHOLD)', () => {
    it('after 5 consecutive failures from an address, its 6th attempt on the account is refused even with the right password (TOO_MANY_FAILURES, retry after 600 s)', async () => {
      await fail(5);
      const error = await expectRejectsCode(logIn(), 'TOO_MANY_FAILURES');
      expect(error).to.be.instanceOf(TooManyFailures);
      expect((error as TooManyFailures).retryAfterSeconds).to.equal(600);
      expect((error as Error).message).to.match(/this account from this address/);
    });

    it('4 consecutive failures do not block the account yet', async () => {
      await fail(4);
      const issued = await logIn();
      expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
    });

    it('nobody locks the owner out: while an attacker’s address is blocked on the account, the owner logs in from another address, and the attacker stays blocked', async () => {
      await fail(5, email, ATTACKER);
      await expectRejectsCode(logIn(ATTACKER), 'TOO_MANY_FAILURES');

      const issued = await logIn(OWNER);
      expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);

      const error = await expectRejectsCode(logIn(ATTACKER), 'TOO_MANY_FAILURES');
      expect((error as TooManyFailures).retryAfterSeconds).to.equal(600);
    });

    it('an ADMIN cannot be locked out either', async () => {
      const admin = uniqueEmail('admin');
      expect(await app.ensureAdminAccount.execute(admin, PASSWORD)).to.equal('created');
      await fail(5, admin, ATTACKER);
      await expectRejectsCode(logIn(ATTACKER, admin), 'TOO_MANY_FAILURES');
      const issued = await logIn(OWNER, admin);
      expect(app.tokens.verify(issued.accessToken).role).to.equal('ADMIN');
    });

    it('failures from other addresses do not add up: 4 from each of two addresses block neither', async () => {
      await fail(4, email, ATTACKER);
      await fail(4, email, CLIENT);
      await logIn(ATTACKER);
      await logIn(CLIENT);
    });

    it('the block counts down and lifts after 10 minutes', async () => {
      await fail(5);
      app.clock.advance(9 * MINUTE);
      const error = await expectRejectsCode(logIn(), 'TOO_MANY_FAILURES');
      expect((error as TooManyFailures).retryAfterSeconds).to.equal(60);

      app.clock.advance(MINUTE + 1_000);
      const issued = await logIn();
      expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
    });

    it('after the block lifts the count starts again from zero', async () => {
      await fail(5);
      app.clock.advance(10 * MINUTE + 1_000);
      await fail(4);
      await logIn();
    });

    it('a successful login resets the count: 4 failures, a success, 4 failures still allow logging in', async () => {
      await fail(4);
      await logIn();
      await fail(4);
      const issued = await logIn();
      expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
    });

    it('the block is per account: failures on one account do not block the same address on another', async () => {
      const other = uniqueEmail('other');
      const { userId: otherId } = await app.newBuyer(other);
      await fail(5);
      const issued = await logIn(CLIENT, other);
      expect(app.tokens.verify(issued.accessToken).userId).to.equal(otherId);
    });

    it('failures typed in another letter case count against the same account', async () => {
      await fail(3, email.toUpperCase());
      await fail(2, email);
      await expectRejectsCode(logIn(), 'TOO_MANY_FAILURES');
    });

    it('FAILURE_BLOCK_THRESHOLD=0 switches blocking off (for load tests)', async () => {
      app = await memoryApp({ FAILURE_BLOCK_THRESHOLD: '0' });
      ({ userId } = await app.newBuyer(email));
      await fail(12);
      const issued = await logIn();
      expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
    });

    it('the threshold and block length come from configuration (3 failures, 90 s)', async () => {
      app = await memoryApp({ FAILURE_BLOCK_THRESHOLD: '3', FAILURE_BLOCK_SECONDS: '90' });
      await app.newBuyer(email);
      await fail(3);
      const error = await expectRejectsCode(logIn(), 'TOO_MANY_FAILURES');
      expect((error as TooManyFailures).retryAfterSeconds).to.equal(90);
    });
  });

  describe('failures per client address on any account (LOGIN_FAILURES_PER_ADDRESS, credential stuffing)', () => {
    /** One wrong password on each of `count` accounts that need not exist, from `from`. */
    const stuff = async (count: number, from = ATTACKER) => {
      for (let i = 0; i < count; i += 1) await fail(1, uniqueEmail('victim'), from);
    };

    beforeEach(async () => {
      app = await memoryApp({ LOGIN_FAILURES_PER_ADDRESS: '20' });
      ({ userId } = await app.newBuyer(email));
    });

    it('one address failing on 20 different accounts is blocked for all logins, the right password included, for FAILURE_BLOCK_SECONDS', async () => {
      await stuff(19);
      await logIn(ATTACKER);

      await stuff(1);

      const error = await expectRejectsCode(logIn(ATTACKER), 'TOO_MANY_FAILURES');
      expect((error as TooManyFailures).retryAfterSeconds).to.equal(600);
      expect((error as Error).message).to.match(/from this address/);
      // Everyone else logs in as before.
      await logIn(OWNER);
    });

    it('a correct login does not wash the address’s count: 19 failures, a success, 1 failure blocks', async () => {
      await stuff(19);
      await logIn(ATTACKER);
      await stuff(1);
      await expectRejectsCode(logIn(ATTACKER), 'TOO_MANY_FAILURES');
    });

    it('nor does a correct login lift the address’s block', async () => {
      await stuff(20);
      await logIn(OWNER);
      await expectRejectsCode(logIn(ATTACKER), 'TOO_MANY_FAILURES');
    });

    it('the block lifts after FAILURE_BLOCK_SECONDS', async () => {
      await stuff(20);
      app.clock.advance(10 * MINUTE + 1_000);
      await logIn(ATTACKER);
    });

    it('the count is forgotten FAILURE_BLOCK_SECONDS after the address’s last failure', async () => {
      await stuff(19);
      app.clock.advance(10 * MINUTE + 1_000);
      await stuff(19);
      await logIn(ATTACKER);
    });

    it('LOGIN_FAILURES_PER_ADDRESS=0 switches it off', async () => {
      app = await memoryApp({ LOGIN_FAILURES_PER_ADDRESS: '0' });
      await app.newBuyer(email);
      await stuff(50);
      await logIn(ATTACKER);
    });
  });

  describe('attempts per client address (RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP)', () => {
    beforeEach(async () => {
      app = await memoryApp({ RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP: '3' });
      ({ userId } = await app.newBuyer(email));
    });

    it('the 4th login in a minute from one address is RATE_LIMITED, whatever the password; other addresses go on', async () => {
      await logIn();
      await fail(1);
      await logIn();
      const error = await expectRejectsCode(logIn(), 'RATE_LIMITED');
      expect(error).to.be.instanceOf(RateLimited);
      expect((error as RateLimited).retryAfterSeconds).to.be.within(1, 60);
      await logIn(OWNER);
    });

    it('the next minute the address may log in again', async () => {
      for (let i = 0; i < 3; i += 1) await logIn();
      await expectRejectsCode(logIn(), 'RATE_LIMITED');
      app.clock.advance(MINUTE);
      await logIn();
    });
  });
});
