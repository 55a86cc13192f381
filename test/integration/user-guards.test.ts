import { expect } from 'chai';
import type { Knex } from 'knex';
import { testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';

/**
 * Token versions are guarded by the database itself: an operator's SQL that changes a role, a
 * password or a status ends the user's older tokens just as the API does.
 */
describe('token version guards in the database', function () {
  let db: Knex;
  let userId: number;

  before(async function () {
    db = (await testDatabase()).db;
  });

  beforeEach(async function () {
    const [user] = await db('users')
      .insert({ email: uniqueEmail('guarded'), name: 'Guarded', role: 'ADMIN', admin_code: 'OPS', password_hash: 'x', created_at: new Date() })
      .returning(['id', 'token_version', 'status']);
    userId = Number(user.id);
    expect([user.token_version, user.status]).to.deep.equal([0, 'ACTIVE']);
  });

  const versionNow = async () => Number((await db('users').where({ id: userId }).first('token_version')).token_version);

  it('a direct SQL role change (demoting an ADMIN) moves the token version on', async function () {
    await db.raw("UPDATE users SET role = 'BUYER', admin_code = NULL WHERE id = ?", [userId]);
    expect(await versionNow()).to.equal(1);
  });

  it('a direct SQL password or status change moves it on too, once per statement', async function () {
    await db.raw("UPDATE users SET password_hash = 'y' WHERE id = ?", [userId]);
    await db.raw("UPDATE users SET status = 'SUSPENDED' WHERE id = ?", [userId]);
    await db.raw("UPDATE users SET status = 'ACTIVE', password_hash = 'z', role = 'BUYER', admin_code = NULL WHERE id = ?", [userId]);
    expect(await versionNow()).to.equal(3);
  });

  it('a statement that changes one of them cannot also set the version back: it is old + 1 whatever was written', async function () {
    await db.raw("UPDATE users SET password_hash = 'y' WHERE id = ?", [userId]);
    await db.raw("UPDATE users SET password_hash = 'z', token_version = 0 WHERE id = ?", [userId]);
    expect(await versionNow()).to.equal(2);
  });

  it('other columns (name, introduction) leave the version as it is', async function () {
    await db.raw("UPDATE users SET name = 'Renamed', introduction = 'hello' WHERE id = ?", [userId]);
    expect(await versionNow()).to.equal(0);
  });

  it('bumping the version by hand is allowed (logs the user out everywhere); setting it back is refused', async function () {
    await db.raw('UPDATE users SET token_version = token_version + 1 WHERE id = ?', [userId]);
    expect(await versionNow()).to.equal(1);
    let error: unknown = null;
    try {
      await db.raw('UPDATE users SET token_version = 0 WHERE id = ?', [userId]);
    } catch (e) {
      error = e;
    }
    expect(error, 'the database accepted it').to.be.instanceOf(Error);
    expect((error as Error).message).to.match(/cannot go back/);
    expect(await versionNow()).to.equal(1);
  });

  it('refuses a status that is not ACTIVE or SUSPENDED', async function () {
    let error: unknown = null;
    try {
      await db.raw("UPDATE users SET status = 'DELETED' WHERE id = ?", [userId]);
    } catch (e) {
      error = e;
    }
    expect((error as Error | null)?.message).to.match(/users_status_known/);
  });
});
