import { expect } from 'chai';
import { TooManyFailures } from '../../../src/domain/shared/errors.js';
import { uniqueEmail } from '../../support/environment.js';
import { expectRejectsCode } from '../expect-error.js';
import { type MemoryApp, memoryApp, PASSWORD } from './app.js';

const MINUTE = 60_000;

describe('LogIn', () => {
  let app: MemoryApp;
  let email: string;
  let userId: number;

  beforeEach(async () => {
    app = await memoryApp();
    email = uniqueEmail('buyer');
    ({ userId } = await app.newBuyer(email));
  });

  const fail = (times: number, account = email) =>
    (async () => {
      for (let i = 0; i < times; i += 1) {
        await expectRejectsCode(app.logIn.execute({ email: account, password: 'wrong-password' }), 'UNAUTHENTICATED');
      }
    })();

  it('the right password issues a token that the token service verifies to the same user and role', async () => {
    const issued = await app.logIn.execute({ email, password: PASSWORD });
    expect(issued.expiresInSeconds).to.equal(3600);
    expect(app.tokens.verify(issued.accessToken)).to.deep.equal({ userId, role: 'BUYER', tokenVersion: 0 });
  });

  it('the e-mail is matched whatever its letter case', async () => {
    const issued = await app.logIn.execute({ email: `  ${email.toUpperCase()} `, password: PASSWORD });
    expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
  });

  it('a wrong password is UNAUTHENTICATED', async () => {
    await expectRejectsCode(app.logIn.execute({ email, password: `${PASSWORD}x` }), 'UNAUTHENTICATED');
  });

  it('an unknown e-mail is UNAUTHENTICATED, with the same message as a wrong password', async () => {
    const unknown = await expectRejectsCode(
      app.logIn.execute({ email: uniqueEmail('nobody'), password: PASSWORD }),
      'UNAUTHENTICATED',
    );
    const wrong = await expectRejectsCode(app.logIn.execute({ email, password: 'wrong-password' }), 'UNAUTHENTICATED');
    expect((unknown as Error).message).to.equal((wrong as Error).message);
  });

  it('after 5 consecutive failures the 6th attempt is refused even with the right password (TOO_MANY_FAILURES, retry after 600 s)', async () => {
    await fail(5);
    const error = await expectRejectsCode(app.logIn.execute({ email, password: PASSWORD }), 'TOO_MANY_FAILURES');
    expect(error).to.be.instanceOf(TooManyFailures);
    expect((error as TooManyFailures).retryAfterSeconds).to.equal(600);
  });

  it('4 consecutive failures do not block the account yet', async () => {
    await fail(4);
    const issued = await app.logIn.execute({ email, password: PASSWORD });
    expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
  });

  it('the block counts down and lifts after 10 minutes', async () => {
    await fail(5);
    app.clock.advance(9 * MINUTE);
    const error = await expectRejectsCode(app.logIn.execute({ email, password: PASSWORD }), 'TOO_MANY_FAILURES');
    expect((error as TooManyFailures).retryAfterSeconds).to.equal(60);

    app.clock.advance(MINUTE + 1_000);
    const issued = await app.logIn.execute({ email, password: PASSWORD });
    expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
  });

  it('after the block lifts the count starts again from zero', async () => {
    await fail(5);
    app.clock.advance(10 * MINUTE + 1_000);
    await fail(4);
    await app.logIn.execute({ email, password: PASSWORD });
  });

  it('a successful login resets the count: 4 failures, a success, 4 failures still allow logging in', async () => {
    await fail(4);
    await app.logIn.execute({ email, password: PASSWORD });
    await fail(4);
    const issued = await app.logIn.execute({ email, password: PASSWORD });
    expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
  });

  it('the block is per account: failures on one account do not block another', async () => {
    const other = uniqueEmail('other');
    const { userId: otherId } = await app.newBuyer(other);
    await fail(5);
    const issued = await app.logIn.execute({ email: other, password: PASSWORD });
    expect(app.tokens.verify(issued.accessToken).userId).to.equal(otherId);
  });

  it('failures typed in another letter case count against the same account', async () => {
    await fail(3, email.toUpperCase());
    await fail(2, email);
    await expectRejectsCode(app.logIn.execute({ email, password: PASSWORD }), 'TOO_MANY_FAILURES');
  });

  it('FAILURE_BLOCK_THRESHOLD=0 switches blocking off (for load tests)', async () => {
    app = await memoryApp({ FAILURE_BLOCK_THRESHOLD: '0' });
    ({ userId } = await app.newBuyer(email));
    await fail(12);
    const issued = await app.logIn.execute({ email, password: PASSWORD });
    expect(app.tokens.verify(issued.accessToken).userId).to.equal(userId);
  });

  it('the threshold and block length come from configuration (3 failures, 90 s)', async () => {
    app = await memoryApp({ FAILURE_BLOCK_THRESHOLD: '3', FAILURE_BLOCK_SECONDS: '90' });
    await app.newBuyer(email);
    await fail(3);
    const error = await expectRejectsCode(app.logIn.execute({ email, password: PASSWORD }), 'TOO_MANY_FAILURES');
    expect((error as TooManyFailures).retryAfterSeconds).to.equal(90);
  });
});
