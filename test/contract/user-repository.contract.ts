import { expect } from 'chai';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import { type AccountDetails, type NewUser, User } from '../../src/domain/user/user.js';
import type { UserRepository } from '../../src/domain/user/user-repository.js';
import { uniqueEmail } from '../support/environment.js';
import { rejectionOf, UNKNOWN_ID } from './contract-support.js';

export interface UserRepositorySubject {
  repo: UserRepository;
  transactions: TransactionManager;
}

const REGISTERED_AT = new Date('2026-01-15T09:00:00.123Z');

function newUser(details: Partial<AccountDetails> = {}): NewUser {
  return User.register(
    { email: uniqueEmail('contract'), name: 'Contract Buyer', role: 'BUYER', ...details },
    'scrypt$N=1024$salt$hash',
    REGISTERED_AT,
  );
}

/** What every UserRepository must do, whatever it stores users in. */
export function userRepositoryContract(makeSubject: () => Promise<UserRepositorySubject>): void {
  let repo: UserRepository;
  let transactions: TransactionManager;

  beforeEach(async function () {
    ({ repo, transactions } = await makeSubject());
  });

  it('add returns the user with a positive whole id, exactly the fields it was given, and token version 0', async function () {
    const input = newUser();

    const user = await repo.add(input);

    expect(Number.isSafeInteger(user.id), `id ${user.id}`).to.equal(true);
    expect(user.id).to.be.greaterThan(0);
    expect(user.toSnapshot()).to.deep.equal({ ...input, id: user.id, tokenVersion: 0 });
  });

  it('keeps the role fields of a SELLER and of an ADMIN', async function () {
    const seller = newUser({ role: 'SELLER', businessNumber: '123-45-67890', introduction: 'We sell shoes' });
    const admin = newUser({ role: 'ADMIN', adminCode: 'ops-7', introduction: 'Operations' });

    const storedSeller = await repo.add(seller);
    const storedAdmin = await repo.add(admin);

    expect((await repo.get(storedSeller.id))?.toSnapshot()).to.deep.equal({ ...seller, id: storedSeller.id, tokenVersion: 0 });
    expect((await repo.get(storedAdmin.id))?.toSnapshot()).to.deep.equal({ ...admin, id: storedAdmin.id, tokenVersion: 0 });
    expect(storedSeller.toSnapshot()).to.include({ role: 'SELLER', businessNumber: '123-45-67890', adminCode: null });
    expect(storedAdmin.toSnapshot()).to.include({ role: 'ADMIN', adminCode: 'ops-7', businessNumber: null });
  });

  it('gives every user an id of its own', async function () {
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await repo.add(newUser())).id);

    expect(new Set(ids).size).to.equal(3);
  });

  it('get returns the stored user', async function () {
    const input = newUser();
    const added = await repo.add(input);

    const found = await repo.get(added.id);

    expect(found).to.be.instanceOf(User);
    expect(found?.toSnapshot()).to.deep.equal({ ...input, id: added.id, tokenVersion: 0 });
  });

  it('get of an unknown id is null', async function () {
    expect(await repo.get(UNKNOWN_ID)).to.equal(null);
  });

  describe('accessOf (what a token check needs of its user now)', function () {
    it('role, status and token version of a user; null for an unknown id', async function () {
      const seller = await repo.add(newUser({ role: 'SELLER', businessNumber: '123-45-67890' }));
      expect(await repo.accessOf(seller.id)).to.deep.equal({ role: 'SELLER', status: 'ACTIVE', tokenVersion: 0 });
      expect(await repo.accessOf(UNKNOWN_ID)).to.equal(null);
    });

    it('many asked at once (as a crowd of requests does) each get their own, the same id twice included', async function () {
      const users = await Promise.all(Array.from({ length: 30 }, () => repo.add(newUser())));
      const suspended = users[7] as User;
      suspended.changeStatus('SUSPENDED');
      await repo.save(suspended);

      const ids = [...users.map((u) => u.id), users[3]!.id, UNKNOWN_ID];
      const answers = await Promise.all(ids.map((id) => repo.accessOf(id)));

      expect(answers.slice(0, 30).map((a) => a?.status)).to.deep.equal(users.map((u) => (u.id === suspended.id ? 'SUSPENDED' : 'ACTIVE')));
      expect(answers[7]).to.deep.equal({ role: 'BUYER', status: 'SUSPENDED', tokenVersion: 1 });
      expect(answers[30]).to.deep.equal(answers[3]);
      expect(answers[31]).to.equal(null);
    });

    it('inside a transaction it reads what the transaction has written', async function () {
      await transactions.run(async () => {
        const user = await repo.add(newUser());
        expect(await repo.accessOf(user.id)).to.deep.equal({ role: 'BUYER', status: 'ACTIVE', tokenVersion: 0 });
      });
    });
  });

  it('findByEmail finds the user whatever the case of the address', async function () {
    const email = uniqueEmail('MixedCase');
    const added = await repo.add(newUser({ email }));

    for (const asked of [email, email.toLowerCase(), email.toUpperCase()]) {
      const found = await repo.findByEmail(asked);
      expect(found?.id, asked).to.equal(added.id);
      // The address comes back as it was stored, not as it was asked for.
      expect(found?.email, asked).to.equal(email);
    }
  });

  it('findByEmail of an unknown address is null', async function () {
    expect(await repo.findByEmail(uniqueEmail('nobody'))).to.equal(null);
  });

  it('refuses the same e-mail in another case with EMAIL_TAKEN and keeps the first account', async function () {
    const email = uniqueEmail('Taken');
    const first = await repo.add(newUser({ email, name: 'First' }));

    const error = await rejectionOf(repo.add(newUser({ email: email.toUpperCase(), name: 'Second' })));

    expect(error.code).to.equal('EMAIL_TAKEN');
    const found = await repo.findByEmail(email);
    expect(found?.id).to.equal(first.id);
    expect(found?.toSnapshot().name).to.equal('First');
  });

  it('refuses the exact same e-mail with EMAIL_TAKEN', async function () {
    const email = uniqueEmail('twice');
    await repo.add(newUser({ email }));

    const error = await rejectionOf(repo.add(newUser({ email })));

    expect(error.code).to.equal('EMAIL_TAKEN');
  });

  it('rolls back a user added in a transaction that then throws', async function () {
    const input = newUser();
    const boom = new Error('boom after the insert');
    let addedId = 0;

    const error = await rejectionOf(
      transactions.run(async () => {
        addedId = (await repo.add(input)).id;
        // Inside the transaction the new user is visible...
        expect((await repo.get(addedId))?.email).to.equal(input.email);
        throw boom;
      }),
    );

    // ...and after the rollback it is gone, and its address free again.
    expect(error).to.equal(boom);
    expect(addedId).to.be.greaterThan(0);
    expect(await repo.get(addedId)).to.equal(null);
    expect(await repo.findByEmail(input.email)).to.equal(null);
    const again = await repo.add(input);
    expect(again.id, 'an id is never handed out twice').to.not.equal(addedId);
  });

  it('keeps a user added in a transaction that commits', async function () {
    const input = newUser();

    const added = await transactions.run(() => repo.add(input));

    expect((await repo.get(added.id))?.toSnapshot()).to.deep.equal({ ...input, id: added.id, tokenVersion: 0 });
  });

  describe('save (role, status, password; the token version)', function () {
    it('a new role with its field is stored, and the token version moves on by exactly one', async function () {
      const added = await repo.add(newUser());
      added.changeRole({ role: 'SELLER', businessNumber: '123-45-67890' });

      const saved = await repo.save(added);

      expect(saved.toSnapshot()).to.include({ role: 'SELLER', businessNumber: '123-45-67890', tokenVersion: 1 });
      expect((await repo.get(added.id))?.toSnapshot()).to.deep.equal(saved.toSnapshot());
    });

    it('a new password, and a new status, each move the token version on', async function () {
      const added = await repo.add(newUser());
      added.changePassword('scrypt$N=1024$salt$other');
      const once = await repo.save(added);
      once.changeStatus('SUSPENDED');
      const twice = await repo.save(once);

      expect(twice.toSnapshot()).to.include({ passwordHash: 'scrypt$N=1024$salt$other', status: 'SUSPENDED', tokenVersion: 2 });
    });

    it('role, status and password changed together move it on once', async function () {
      const added = await repo.add(newUser());
      added.changeRole({ role: 'ADMIN', adminCode: 'OPS-9' });
      added.changeStatus('SUSPENDED');
      added.changePassword('scrypt$N=1024$salt$third');

      expect((await repo.save(added)).tokenVersion).to.equal(1);
    });

    it('a save that changes none of them leaves the token version (a SELLER\'s new business number)', async function () {
      const seller = await repo.add(newUser({ role: 'SELLER', businessNumber: '123-45-67890' }));
      seller.changeRole({ role: 'SELLER', businessNumber: '987-65-43210' });

      const saved = await repo.save(seller);

      expect(saved.toSnapshot()).to.include({ businessNumber: '987-65-43210', tokenVersion: 0 });
      expect((await repo.save(saved)).tokenVersion, 'nothing at all changed').to.equal(0);
    });

    it('refuses with CONCURRENT_MODIFICATION a user loaded before someone else\'s change, and keeps that change', async function () {
      const added = await repo.add(newUser());
      const first = (await repo.get(added.id))!;
      const second = (await repo.get(added.id))!;
      first.changeStatus('SUSPENDED');
      await repo.save(first);
      second.changeRole({ role: 'ADMIN', adminCode: 'LATE' });

      const error = await rejectionOf(repo.save(second));

      expect(error.code).to.equal('CONCURRENT_MODIFICATION');
      expect((await repo.get(added.id))?.toSnapshot()).to.include({ role: 'BUYER', status: 'SUSPENDED', tokenVersion: 1 });
    });

    it('a save in a transaction that then throws is rolled back, token version included', async function () {
      const added = await repo.add(newUser());
      added.changeStatus('SUSPENDED');

      await rejectionOf(
        transactions.run(async () => {
          await repo.save(added);
          throw new Error('boom after the save');
        }),
      );

      expect((await repo.get(added.id))?.toSnapshot()).to.include({ status: 'ACTIVE', tokenVersion: 0 });
    });
  });
}
