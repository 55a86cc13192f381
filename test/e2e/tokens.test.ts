import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import type { Knex } from 'knex';
import { TEST_JWT_SECRET } from '../support/config.js';
import { testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';
import { requireRedis } from '../support/redis.js';
import { type Account, type ApiResponse, startTestService, type TestService } from '../support/service.js';
import { expectProblem, expectValidation } from './problem.js';

const LOGIN = '/api/v1/auth/login';
const ME = '/api/v1/users/me';
const USERS = '/api/v1/users';
const PASSWORD_PATH = '/api/v1/users/me/password';
const NEW_PASSWORD = 'a-brand-new-password';

const userPath = (id: number | string) => `/api/v1/users/${id}`;

function put(t: TestService, path: string, body: unknown, token: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return t.api.request('PUT', path, { body, token, headers });
}

function patch(t: TestService, path: string, body: unknown, token: string): Promise<ApiResponse> {
  return t.api.request('PATCH', path, { body, token });
}

const adminBody = () => ({ email: uniqueEmail('admin-new'), password: 'long-enough-password', name: 'New Admin', role: 'ADMIN', adminCode: 'OPS-9' });

describe('e2e: tokens that end (token versions, password change, role and status)', function () {
  let t: TestService;

  before(async function () {
    // The default cache TTL (5 s): what ends tokens at once here is the invalidation, not the TTL.
    t = await startTestService();
  });
  after(async function () {
    await t?.stop();
  });

  describe('a demoted ADMIN', function () {
    it('their old token can no longer create ADMINs (401), and a new login acts as what they are now (403)', async function () {
      const other = await t.newAccount('ADMIN');
      expect((await t.api.post(USERS, adminBody(), { token: other.token })).status, 'still an ADMIN').to.equal(201);

      const demoted = await patch(t, userPath(other.id), { role: 'BUYER' }, t.admin.token);
      expect(demoted.status, JSON.stringify(demoted.body)).to.equal(200);
      expect(demoted.body).to.include({ id: other.id, role: 'BUYER', status: 'ACTIVE' });
      expect(demoted.body).not.to.have.property('adminCode');

      expectProblem(await t.api.post(USERS, adminBody(), { token: other.token }), 401, 'UNAUTHENTICATED', USERS);
      expectProblem(await t.api.get(ME, { token: other.token }), 401, 'UNAUTHENTICATED', ME);
      const fresh = await t.logIn(other.email, other.password);
      expectProblem(await t.api.post(USERS, adminBody(), { token: fresh }), 403, 'FORBIDDEN', USERS);
      expect((await t.api.get(ME, { token: fresh })).body).to.include({ role: 'BUYER' });
    });
  });

  describe('PUT /api/v1/users/me/password', function () {
    it('ends every token of the user, answers a fresh one, and the new password logs in (the old one no longer)', async function () {
      const buyer = await t.newBuyer();
      const second = await t.logIn(buyer.email, buyer.password);

      const res = await put(t, PASSWORD_PATH, { currentPassword: buyer.password, newPassword: NEW_PASSWORD }, buyer.token);

      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(Object.keys(res.body)).to.have.members(['accessToken', 'tokenType', 'expiresIn']);
      expect(res.body.tokenType).to.equal('Bearer');
      for (const old of [buyer.token, second]) expectProblem(await t.api.get(ME, { token: old }), 401, 'UNAUTHENTICATED', ME);
      expect((await t.api.get(ME, { token: res.body.accessToken })).body.id).to.equal(buyer.id);
      expectProblem(await t.api.post(LOGIN, { email: buyer.email, password: buyer.password }), 401, 'UNAUTHENTICATED', LOGIN);
      const login = await t.api.post(LOGIN, { email: buyer.email, password: NEW_PASSWORD });
      expect(login.status).to.equal(200);
      expect((await t.api.get(ME, { token: login.body.accessToken })).status).to.equal(200);
    });

    it('with an Idempotency-Key a retry replays the answer (Idempotent-Replayed) and changes nothing twice', async function () {
      const buyer = await t.newBuyer();
      const headers = { 'Idempotency-Key': `password-${buyer.id}` };
      const body = { currentPassword: buyer.password, newPassword: NEW_PASSWORD };

      const first = await put(t, PASSWORD_PATH, body, buyer.token, headers);
      expect(first.status).to.equal(200);
      // The retry comes with the token that sent it, which the change itself has ended.
      expectProblem(await put(t, PASSWORD_PATH, body, buyer.token, headers), 401, 'UNAUTHENTICATED', PASSWORD_PATH);
      const replay = await put(t, PASSWORD_PATH, body, first.body.accessToken, headers);

      expect(replay.status).to.equal(200);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(first.body);
      expect((await t.api.get(ME, { token: first.body.accessToken })).status, 'the token the change gave still works').to.equal(200);
    });

    it('a wrong current password is 422 WRONG_PASSWORD and the token keeps working', async function () {
      const buyer = await t.newBuyer();
      const res = await put(t, PASSWORD_PATH, { currentPassword: 'not-my-password', newPassword: NEW_PASSWORD }, buyer.token);
      expectProblem(res, 422, 'WRONG_PASSWORD', PASSWORD_PATH);
      expect((await t.api.get(ME, { token: buyer.token })).status).to.equal(200);
      expect((await t.api.post(LOGIN, { email: buyer.email, password: buyer.password })).status).to.equal(200);
    });

    it('answers 400 naming newPassword when it is too short or the same as the current one, and 400 for an unknown field', async function () {
      const buyer = await t.newBuyer();
      expectValidation(await put(t, PASSWORD_PATH, { currentPassword: buyer.password, newPassword: 'short' }, buyer.token), PASSWORD_PATH, 'newPassword');
      expectValidation(await put(t, PASSWORD_PATH, { currentPassword: buyer.password, newPassword: buyer.password }, buyer.token), PASSWORD_PATH, 'newPassword');
      expectValidation(await put(t, PASSWORD_PATH, { currentPassword: buyer.password, newPassword: NEW_PASSWORD, role: 'ADMIN' }, buyer.token), PASSWORD_PATH, 'role');
    });

    it('without a token is 401', async function () {
      expectProblem(await t.api.request('PUT', PASSWORD_PATH, { body: { currentPassword: 'x', newPassword: NEW_PASSWORD } }), 401, 'UNAUTHENTICATED', PASSWORD_PATH);
    });
  });

  describe('PATCH /api/v1/users/{userId}', function () {
    it('SUSPENDED: the user\'s token is 401 and their login is 403 FORBIDDEN; ACTIVE again lets them log in', async function () {
      const buyer = await t.newBuyer();

      const suspended = await patch(t, userPath(buyer.id), { status: 'SUSPENDED' }, t.admin.token);

      expect(suspended.status, JSON.stringify(suspended.body)).to.equal(200);
      expect(suspended.body).to.include({ id: buyer.id, role: 'BUYER', status: 'SUSPENDED' });
      expectProblem(await t.api.get(ME, { token: buyer.token }), 401, 'UNAUTHENTICATED', ME);
      expectProblem(await t.api.post(LOGIN, { email: buyer.email, password: buyer.password }), 403, 'FORBIDDEN', LOGIN);
      expectProblem(await t.api.post(LOGIN, { email: buyer.email, password: 'wrong-password-1' }), 401, 'UNAUTHENTICATED', LOGIN);

      expect((await patch(t, userPath(buyer.id), { status: 'ACTIVE' }, t.admin.token)).body.status).to.equal('ACTIVE');
      expectProblem(await t.api.get(ME, { token: buyer.token }), 401, 'UNAUTHENTICATED', ME);
      const fresh = await t.logIn(buyer.email, buyer.password);
      expect((await t.api.get(ME, { token: fresh })).body).to.include({ id: buyer.id, status: 'ACTIVE' });
    });

    it('makes a BUYER a SELLER with a business number, who can then list products', async function () {
      const buyer = await t.newBuyer();
      const res = await patch(t, userPath(buyer.id), { role: 'SELLER', businessNumber: '123-45-67890' }, t.admin.token);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ role: 'SELLER', businessNumber: '123-45-67890' });
      const token = await t.logIn(buyer.email, buyer.password);
      const product = await t.api.post('/api/v1/products', { name: 'Promoted Shoe', category: 'shoes', price: 10_000, options: [{ name: '250', stock: 1 }] }, { token });
      expect(product.status, JSON.stringify(product.body)).to.equal(201);
    });

    it('an ADMIN changing their own role or status is 403 FORBIDDEN, and nothing changes', async function () {
      for (const body of [{ role: 'BUYER' }, { status: 'SUSPENDED' }]) {
        expectProblem(await patch(t, userPath(t.admin.id), body, t.admin.token), 403, 'FORBIDDEN', userPath(t.admin.id));
        expectProblem(await patch(t, userPath('me'), body, t.admin.token), 403, 'FORBIDDEN', userPath('me'));
      }
      expect((await t.api.get(ME, { token: t.admin.token })).body).to.include({ role: 'ADMIN', status: 'ACTIVE' });
    });

    it('a BUYER or a SELLER is 403 FORBIDDEN; an unknown user is 404', async function () {
      const buyer = await t.newBuyer();
      const seller = await t.newAccount('SELLER');
      expectProblem(await patch(t, userPath(seller.id), { status: 'SUSPENDED' }, buyer.token), 403, 'FORBIDDEN');
      expectProblem(await patch(t, userPath(buyer.id), { role: 'ADMIN', adminCode: 'MINE' }, seller.token), 403, 'FORBIDDEN');
      expectProblem(await patch(t, userPath(987_654_321), { status: 'SUSPENDED' }, t.admin.token), 404, 'NOT_FOUND');
    });

    it('answers 400 for a role without its field, a field without its role, an unknown role or status, or neither role nor status', async function () {
      const buyer = await t.newBuyer();
      const path = userPath(buyer.id);
      expectValidation(await patch(t, path, { role: 'SELLER' }, t.admin.token), path, 'businessNumber');
      expectValidation(await patch(t, path, { role: 'SELLER', businessNumber: '12-345' }, t.admin.token), path, 'businessNumber');
      expectValidation(await patch(t, path, { role: 'ADMIN' }, t.admin.token), path, 'adminCode');
      expectValidation(await patch(t, path, { role: 'BUYER', businessNumber: '123-45-67890' }, t.admin.token), path, 'businessNumber');
      expectValidation(await patch(t, path, { status: 'SUSPENDED', adminCode: 'X' }, t.admin.token), path, 'adminCode');
      expectValidation(await patch(t, path, { role: 'ROOT' }, t.admin.token), path, 'role');
      expectValidation(await patch(t, path, { status: 'DELETED' }, t.admin.token), path, 'status');
      expectProblem(await patch(t, path, {}, t.admin.token), 400, 'VALIDATION_FAILED', path);
      expect((await t.api.get(ME, { token: buyer.token })).body).to.include({ role: 'BUYER', status: 'ACTIVE' });
    });
  });

  it('a token without exp (signed with the right secret) is 401', async function () {
    const buyer = await t.newBuyer();
    const forever = jwt.sign({ role: 'BUYER', ver: 0 }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: String(buyer.id) });
    const res = await t.api.get(ME, { token: forever });
    expectProblem(res, 401, 'UNAUTHENTICATED', ME);
    expect(res.body.detail).to.match(/expiry/);
  });
});

describe('e2e: a role changed by hand in SQL ends the user\'s tokens (AUTH_CACHE_TTL_SECONDS=0)', function () {
  let t: TestService;
  let db: Knex;

  before(async function () {
    db = (await testDatabase()).db;
    t = await startTestService({ env: { AUTH_CACHE_TTL_SECONDS: '0' } });
  });
  after(async function () {
    await t?.stop();
  });

  it('the trigger moves the token version on: the old ADMIN token is 401 on the next request', async function () {
    const other: Account = await t.newAccount('ADMIN');
    const before = await db('users').where({ id: other.id }).first('token_version');

    await db.raw("UPDATE users SET role = 'BUYER', admin_code = NULL WHERE id = ?", [other.id]);

    const after = await db('users').where({ id: other.id }).first('token_version');
    expect(Number(after.token_version)).to.equal(Number(before.token_version) + 1);
    expectProblem(await t.api.post(USERS, adminBody(), { token: other.token }), 401, 'UNAUTHENTICATED', USERS);
  });
});

describe('e2e: with Redis, a change on one instance ends the token on another', function () {
  let a: TestService;
  let b: TestService;

  before(async function () {
    const redis = await requireRedis(this);
    // A long TTL: only the invalidation through Redis can end the token on B in time.
    const env = { AUTH_CACHE_TTL_SECONDS: '300' };
    a = await startTestService({ redis: redis.connect(), env });
    b = await startTestService({ redis: redis.connect(), env });
  });
  after(async function () {
    await a?.stop();
    await b?.stop();
  });

  /**
   * B's answer to the token once Redis has had the time to deliver A's invalidation (pub/sub: a
   * request racing the message may still pass). Asks again for at most a second; the cache's TTL
   * is far longer, so a 401 here is the invalidation, not the TTL.
   */
  async function endedOn(instance: TestService, token: string) {
    const until = Date.now() + 1_000;
    for (;;) {
      const res = await instance.api.get(ME, { token });
      if (res.status === 401 || Date.now() > until) return res;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('a password changed on A: the old token is 401 on B, which had it cached, and the fresh one works on B', async function () {
    const buyer = await a.newBuyer();
    expect((await b.api.get(ME, { token: buyer.token })).status, 'B knows the token').to.equal(200);

    const changed = await put(a, PASSWORD_PATH, { currentPassword: buyer.password, newPassword: NEW_PASSWORD }, buyer.token);
    expect(changed.status).to.equal(200);

    expectProblem(await endedOn(b, buyer.token), 401, 'UNAUTHENTICATED', ME);
    expect((await b.api.get(ME, { token: changed.body.accessToken })).status).to.equal(200);
  });

  it('a user suspended on A: their token is 401 on B', async function () {
    const buyer = await a.newBuyer();
    expect((await b.api.get(ME, { token: buyer.token })).status).to.equal(200);

    expect((await patch(a, userPath(buyer.id), { status: 'SUSPENDED' }, a.admin.token)).status).to.equal(200);

    expectProblem(await endedOn(b, buyer.token), 401, 'UNAUTHENTICATED', ME);
  });
});
