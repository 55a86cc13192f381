import { expect } from 'chai';
import type { Actor } from '../../../src/domain/user/actor.js';
import { uniqueEmail } from '../../support/environment.js';
import { expectRejectsCode } from '../expect-error.js';
import { CLIENT, memoryApp, PASSWORD } from './app.js';

const NEW_PASSWORD = 'another-horse-43';

async function accessApp(env: Record<string, string> = {}) {
  const app = await memoryApp(env);
  return {
    ...app,
    /** A BUYER, signed up and logged in. */
    async loggedInBuyer(): Promise<Actor & { email: string; token: string }> {
      const buyer = await app.newBuyer(uniqueEmail('buyer'));
      const { accessToken } = await app.logIn.execute({ email: buyer.email, password: PASSWORD }, CLIENT);
      return { ...buyer, token: accessToken };
    },
  };
}

describe('Authenticate (a token against its user as they are now)', () => {
  it('a fresh token gives its user and role', async () => {
    const app = await accessApp();
    const buyer = await app.loggedInBuyer();
    expect(await app.authenticate.execute(buyer.token)).to.deep.equal({ userId: buyer.userId, role: 'BUYER' });
  });

  it('the role is the user’s current one, never the token’s: a BUYER’s token that says ADMIN acts as BUYER', async () => {
    const app = await accessApp();
    const buyer = await app.loggedInBuyer();
    const claimsAdmin = app.tokens.issue({ userId: buyer.userId, role: 'ADMIN', tokenVersion: 0 }).accessToken;
    expect(await app.authenticate.execute(claimsAdmin)).to.deep.equal({ userId: buyer.userId, role: 'BUYER' });
  });

  it('a token for a user who does not exist is UNAUTHENTICATED', async () => {
    const app = await accessApp();
    const ghost = app.tokens.issue({ userId: 987_654, role: 'ADMIN', tokenVersion: 0 }).accessToken;
    await expectRejectsCode(app.authenticate.execute(ghost), 'UNAUTHENTICATED');
  });

  it('a change made behind the service’s back (not through a use case) ends the token once the cache’s TTL is over', async () => {
    const app = await accessApp({ AUTH_CACHE_TTL_SECONDS: '5' });
    const buyer = await app.loggedInBuyer();
    await app.authenticate.execute(buyer.token);
    const user = (await app.users.get(buyer.userId))!;
    user.changeStatus('SUSPENDED');
    await app.users.save(user);

    // Still the cached state for up to the TTL...
    expect((await app.authenticate.execute(buyer.token)).userId).to.equal(buyer.userId);
    app.clock.advance(5_001);
    // ...then the state as it is.
    await expectRejectsCode(app.authenticate.execute(buyer.token), 'UNAUTHENTICATED');
  });

  it('AUTH_CACHE_TTL_SECONDS=0: such a change ends the token on the next request', async () => {
    const app = await accessApp({ AUTH_CACHE_TTL_SECONDS: '0' });
    const buyer = await app.loggedInBuyer();
    await app.authenticate.execute(buyer.token);
    const user = (await app.users.get(buyer.userId))!;
    user.changePassword('scrypt$changed-by-hand');
    await app.users.save(user);

    await expectRejectsCode(app.authenticate.execute(buyer.token), 'UNAUTHENTICATED');
  });
});

describe('ChangePassword (a user’s own, knowing the current one)', () => {
  it('ends every older token at once (whatever the cache TTL), answers a fresh one, and the new password logs in', async () => {
    const app = await accessApp({ AUTH_CACHE_TTL_SECONDS: '300' });
    const buyer = await app.loggedInBuyer();
    const second = (await app.logIn.execute({ email: buyer.email, password: PASSWORD }, CLIENT)).accessToken;
    await app.authenticate.execute(buyer.token);

    const fresh = await app.changePassword.execute(buyer, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });

    for (const old of [buyer.token, second]) await expectRejectsCode(app.authenticate.execute(old), 'UNAUTHENTICATED');
    expect(await app.authenticate.execute(fresh.accessToken)).to.deep.equal({ userId: buyer.userId, role: 'BUYER' });
    await expectRejectsCode(app.logIn.execute({ email: buyer.email, password: PASSWORD }, CLIENT), 'UNAUTHENTICATED');
    const again = await app.logIn.execute({ email: buyer.email, password: NEW_PASSWORD }, CLIENT);
    expect(app.tokens.verify(again.accessToken).tokenVersion).to.equal(1);
  });

  it('a wrong current password is WRONG_PASSWORD and changes nothing', async () => {
    const app = await accessApp();
    const buyer = await app.loggedInBuyer();
    await expectRejectsCode(app.changePassword.execute(buyer, { currentPassword: 'not-the-password', newPassword: NEW_PASSWORD }), 'WRONG_PASSWORD');
    expect((await app.authenticate.execute(buyer.token)).userId).to.equal(buyer.userId);
    expect((await app.logIn.execute({ email: buyer.email, password: PASSWORD }, CLIENT)).accessToken).to.be.a('string');
  });

  it('5 wrong current passwords block password changes (TOO_MANY_FAILURES), even with the right one', async () => {
    const app = await accessApp();
    const buyer = await app.loggedInBuyer();
    for (let i = 0; i < 5; i += 1) {
      await expectRejectsCode(app.changePassword.execute(buyer, { currentPassword: `wrong-${i}-password`, newPassword: NEW_PASSWORD }), 'WRONG_PASSWORD');
    }
    await expectRejectsCode(app.changePassword.execute(buyer, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }), 'TOO_MANY_FAILURES');
  });

  it('a change of the user between checking and storing is refused (CONCURRENT_MODIFICATION), not overwritten', async () => {
    const app = await accessApp();
    const buyer = await app.loggedInBuyer();
    const prepared = await app.changePassword.prepare(buyer, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    await app.changePassword.execute(buyer, { currentPassword: PASSWORD, newPassword: 'third-password-44' });

    await expectRejectsCode(app.changePassword.apply(prepared), 'CONCURRENT_MODIFICATION');
    expect((await app.logIn.execute({ email: buyer.email, password: 'third-password-44' }, CLIENT)).accessToken).to.be.a('string');
  });
});

describe('ChangeUserAccess (an ADMIN sets another user’s role and status)', () => {
  it('demoting an ADMIN ends their tokens: the old one no longer creates accounts', async () => {
    const app = await accessApp({ AUTH_CACHE_TTL_SECONDS: '300' });
    const admin = await app.admin();
    const email = uniqueEmail('admin2');
    const other = await app.createAccount.execute(admin, { email, password: PASSWORD, name: 'Ops', role: 'ADMIN', adminCode: 'OPS-2' });
    const token = (await app.logIn.execute({ email, password: PASSWORD }, CLIENT)).accessToken;
    expect((await app.authenticate.execute(token)).role).to.equal('ADMIN');

    const demoted = await app.changeUserAccess.execute(admin, other.id, { role: 'BUYER' });

    expect(demoted.toSnapshot()).to.include({ role: 'BUYER', adminCode: null, tokenVersion: 1 });
    await expectRejectsCode(app.authenticate.execute(token), 'UNAUTHENTICATED');
    const fresh = (await app.logIn.execute({ email, password: PASSWORD }, CLIENT)).accessToken;
    const actor = await app.authenticate.execute(fresh);
    expect(actor.role).to.equal('BUYER');
    await expectRejectsCode(
      app.createAccount.execute(actor, { email: uniqueEmail('x'), password: PASSWORD, name: 'X', role: 'ADMIN', adminCode: 'X' }),
      'FORBIDDEN',
    );
  });

  it('SUSPENDED: the token stops working and the right password is FORBIDDEN at login; ACTIVE again logs in', async () => {
    const app = await accessApp({ AUTH_CACHE_TTL_SECONDS: '300' });
    const admin = await app.admin();
    const buyer = await app.loggedInBuyer();
    await app.authenticate.execute(buyer.token);

    await app.changeUserAccess.execute(admin, buyer.userId, { status: 'SUSPENDED' });

    await expectRejectsCode(app.authenticate.execute(buyer.token), 'UNAUTHENTICATED');
    await expectRejectsCode(app.logIn.execute({ email: buyer.email, password: PASSWORD }, CLIENT), 'FORBIDDEN');
    // A wrong password is still just wrong: suspension is told only to whoever knows the password.
    await expectRejectsCode(app.logIn.execute({ email: buyer.email, password: 'wrong-password' }, CLIENT), 'UNAUTHENTICATED');
    await app.changeUserAccess.execute(admin, buyer.userId, { status: 'ACTIVE' });
    await expectRejectsCode(app.authenticate.execute(buyer.token), 'UNAUTHENTICATED');
    const fresh = (await app.logIn.execute({ email: buyer.email, password: PASSWORD }, CLIENT)).accessToken;
    expect((await app.authenticate.execute(fresh)).userId).to.equal(buyer.userId);
  });

  it('BUYER to SELLER needs the business number (VALIDATION_FAILED without); with it the user is a SELLER', async () => {
    const app = await accessApp();
    const admin = await app.admin();
    const buyer = await app.loggedInBuyer();
    await expectRejectsCode(app.changeUserAccess.execute(admin, buyer.userId, { role: 'SELLER' }), 'VALIDATION_FAILED');
    const seller = await app.changeUserAccess.execute(admin, buyer.userId, { role: 'SELLER', businessNumber: '123-45-67890' });
    expect(seller.toSnapshot()).to.include({ role: 'SELLER', businessNumber: '123-45-67890', tokenVersion: 1 });
  });

  it('setting what the user already has changes nothing and ends no token', async () => {
    const app = await accessApp();
    const admin = await app.admin();
    const buyer = await app.loggedInBuyer();
    const same = await app.changeUserAccess.execute(admin, buyer.userId, { role: 'BUYER', status: 'ACTIVE' });
    expect(same.tokenVersion).to.equal(0);
    expect((await app.authenticate.execute(buyer.token)).userId).to.equal(buyer.userId);
  });

  it('an ADMIN changing their own role or status, or a BUYER anyone’s, is FORBIDDEN; an unknown user is NOT_FOUND', async () => {
    const app = await accessApp();
    const admin = await app.admin();
    const buyer = await app.loggedInBuyer();
    await expectRejectsCode(app.changeUserAccess.execute(admin, admin.userId, { status: 'SUSPENDED' }), 'FORBIDDEN');
    await expectRejectsCode(app.changeUserAccess.execute(buyer, admin.userId, { role: 'BUYER' }), 'FORBIDDEN');
    await expectRejectsCode(app.changeUserAccess.execute(admin, 987_654, { status: 'SUSPENDED' }), 'NOT_FOUND');
    expect((await app.users.get(admin.userId))?.toSnapshot()).to.include({ role: 'ADMIN', status: 'ACTIVE', tokenVersion: 0 });
  });
});
