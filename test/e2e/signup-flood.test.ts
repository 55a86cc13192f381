import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { ScryptPasswordHasher } from '../../src/adapters/security/scrypt-password-hasher.js';
import type { PasswordHasher } from '../../src/application/ports/password-hasher.js';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import { ManualClock } from '../support/clock.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { runId, uniqueEmail, uniqueName } from '../support/environment.js';
import { HeldHasher } from '../support/held-hasher.js';
import { type Account, startTestService, type ApiResponse, type TestService } from '../support/service.js';
import { inTransaction } from '../support/transactions.js';
import { expectProblem } from './problem.js';

const SIGNUP = '/api/v1/auth/signup';
const LOGIN = '/api/v1/auth/login';
const USERS = '/api/v1/users';
const PASSWORD_PATH = '/api/v1/users/me/password';
const PASSWORD = 'long-enough-password';

/** Waits for `promise`, or fails with `why()` once `ms` have passed: a deadline for a failure message, not a measurement. */
async function within<T>(promise: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why())), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const signUpBody = (label: string) => ({ email: uniqueEmail(label), password: PASSWORD, name: 'Flood' });
const sellerBody = () => ({ email: uniqueEmail('seller'), password: PASSWORD, name: 'Seller', role: 'SELLER', businessNumber: '123-45-67890' });

describe('e2e: password hashing stays out of database transactions', function () {
  describe('on PostgreSQL with a pool of 2 connections, under a flood of sign-ups and account creations', function () {
    this.timeout(60_000);
    const application = `signup-flood-${runId}`;
    let database: TestDatabase;
    let pool: Knex;
    let hasher: HeldHasher;
    let t: TestService;

    before(async function () {
      database = await testDatabase();
      requireRealPostgres(this, database);
      // The service's own pool, as DATABASE_POOL_MAX=2 gives it, named so pg_stat_activity tells its connections apart.
      const url = new URL(database.url ?? '');
      url.searchParams.set('application_name', application);
      pool = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });
      hasher = new HeldHasher();
      // No background jobs: their short transactions would show up in pg_stat_activity too.
      t = await startTestService({ db: pool, passwordHasher: hasher, jobs: false });
    });
    after(async function () {
      hasher?.release();
      await t?.stop();
      await pool?.destroy();
    });

    it('while 24 of them are held in their hash, no connection sits idle in transaction, /health/ready answers 200 and other requests are served; then all 24 succeed', async function () {
      const keyed = (label: string) => ({ 'Idempotency-Key': uniqueName(label) });
      const sends: { path: string; body: object; headers: Record<string, string> }[] = [
        ...Array.from({ length: 8 }, () => ({ path: SIGNUP, body: signUpBody('flood'), headers: {} })),
        ...Array.from({ length: 8 }, () => ({ path: SIGNUP, body: signUpBody('flood-keyed'), headers: keyed('flood') })),
        ...Array.from({ length: 4 }, () => ({ path: USERS, body: sellerBody(), headers: {} })),
        ...Array.from({ length: 4 }, () => ({ path: USERS, body: sellerBody(), headers: keyed('flood-users') })),
      ];
      hasher.hold();
      const answers = sends.map((s) => t.api.post(s.path, s.body, { headers: s.headers, ...(s.path === USERS ? { token: t.admin.token } : {}) }));
      try {
        // Were the hash inside the transaction, only 2 would ever get here: the others wait for a connection.
        await within(hasher.untilHeld(sends.length), 15_000, () => `only ${hasher.held} of ${sends.length} requests reached the password hash`);

        const ready = await t.api.get('/health/ready');
        expect(ready.status, JSON.stringify(ready.body)).to.equal(200);
        expect(ready.body.checks.database).to.equal('up');

        const states = await database.db.raw<{ rows: { state: string | null; connections: number }[] }>(
          'SELECT state, count(*)::int AS connections FROM pg_stat_activity WHERE application_name = ? GROUP BY state',
          [application],
        );
        const idleInTransaction = states.rows.filter((r) => r.state?.startsWith('idle in transaction')).reduce((n, r) => n + r.connections, 0);
        expect(idleInTransaction, JSON.stringify(states.rows)).to.equal(0);

        const me = await t.api.get('/api/v1/users/me', { token: t.admin.token });
        expect(me.status).to.equal(200);
      } finally {
        hasher.release();
      }

      const results = await Promise.all(answers);
      expect(results.map((r) => r.status)).to.deep.equal(sends.map(() => 201));
      // The keyed ones replay.
      for (const [i, s] of sends.entries()) {
        if (!s.headers['Idempotency-Key']) continue;
        const again = await t.api.post(s.path, s.body, { headers: s.headers, ...(s.path === USERS ? { token: t.admin.token } : {}) });
        expect(again.status).to.equal(201);
        expect(again.headers.get('idempotent-replayed')).to.equal('true');
        expect(again.body).to.deep.equal(results[i]?.body);
      }
    });
  });

  for (const persistence of ['postgres', 'memory'] as const) {
    describe(`every hash of sign-up and POST /users runs with no transaction open (${persistence})`, function () {
      /** Scrypt that notes, for each hash, whether the service had a transaction open. */
      class ProbingHasher implements PasswordHasher {
        readonly inTransaction: boolean[] = [];
        transactions: TransactionManager | null = null;
        private readonly scrypt = new ScryptPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });
        async hash(password: string): Promise<string> {
          if (this.transactions) this.inTransaction.push(await inTransaction(this.transactions));
          return this.scrypt.hash(password);
        }
        verify(password: string, hash: string): Promise<boolean> {
          return this.scrypt.verify(password, hash);
        }
      }
      let hasher: ProbingHasher;
      let t: TestService;

      before(async function () {
        hasher = new ProbingHasher();
        t = await startTestService({ persistence, passwordHasher: hasher });
        hasher.transactions = resolve(t.service.container, TOKENS.transactions);
      });
      after(async function () {
        await t?.stop();
      });

      it('sign-up and POST /users, each with and without an Idempotency-Key', async function () {
        const key = () => ({ 'Idempotency-Key': uniqueName('probe') });
        const answers = [
          await t.api.post(SIGNUP, signUpBody('probe')),
          await t.api.post(SIGNUP, signUpBody('probe'), { headers: key() }),
          await t.api.post(USERS, sellerBody(), { token: t.admin.token }),
          await t.api.post(USERS, sellerBody(), { token: t.admin.token, headers: key() }),
        ];
        expect(answers.map((a) => a.status)).to.deep.equal([201, 201, 201, 201]);
        expect(hasher.inTransaction).to.deep.equal([false, false, false, false]);
      });
    });
  }
});

describe('e2e: a bound on password hashing (PASSWORD_HASH_CONCURRENCY=1, PASSWORD_HASH_QUEUE=1)', function () {
  let hasher: HeldHasher;
  let t: TestService;
  let buyer: Account;

  before(async function () {
    hasher = new HeldHasher();
    t = await startTestService({ persistence: 'memory', passwordHasher: hasher, env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' } });
    buyer = await t.newBuyer();
  });
  after(async function () {
    hasher?.release();
    await t?.stop();
  });

  it('past the queue a login or sign-up is answered at once: 503 UNAVAILABLE, problem+json, Retry-After, "busy checking passwords"; those let in go on', async function () {
    const logIn = () => t.api.post(LOGIN, { email: buyer.email, password: buyer.password });
    hasher.hold();
    const running = logIn();
    let refusals: ApiResponse[] = [];
    let admitted: Promise<ApiResponse>[] = [running];
    try {
      await hasher.untilHeld(1);
      // One of these two takes the queue's only place and waits; the other is refused at once.
      const contenders = [logIn(), logIn()];
      const first = await Promise.race(contenders.map((c, i) => c.then((res) => ({ res, i }))));
      refusals.push(first.res);
      admitted.push(contenders[1 - first.i] as Promise<ApiResponse>);
      // The queue is still full: a sign-up (which hashes too) is refused as well.
      refusals.push(await t.api.post(SIGNUP, signUpBody('busy')));
    } finally {
      hasher.release();
    }

    for (const res of refusals) {
      expectProblem(res, 503, 'UNAVAILABLE');
      expect(res.body.detail).to.match(/busy checking passwords/);
      expect(res.headers.get('retry-after')).to.match(/^[1-9]\d*$/);
    }
    expect((await Promise.all(admitted)).map((r) => r.status)).to.deep.equal([200, 200]);
    // Nothing is left held: the next login goes straight through.
    expect((await logIn()).status).to.equal(200);
  });

  // The old document gave this 503 to sign-up, login and POST /users only: a password change
  // checks the current password and hashes the new one through the same bound.
  it('a password change past the queue is answered at once too: 503 UNAVAILABLE with Retry-After, and the password stays', async function () {
    const logIn = () => t.api.post(LOGIN, { email: buyer.email, password: buyer.password });
    hasher.hold();
    const admitted: Promise<ApiResponse>[] = [logIn()];
    let refused: ApiResponse;
    try {
      await hasher.untilHeld(1);
      // As above: once one of two contenders is refused, the other holds the queue's only place.
      const contenders = [logIn(), logIn()];
      const first = await Promise.race(contenders.map((c, i) => c.then((res) => ({ res, i }))));
      expect(first.res.status).to.equal(503);
      admitted.push(contenders[1 - first.i] as Promise<ApiResponse>);
      refused = await t.api.request('PUT', PASSWORD_PATH, { body: { currentPassword: buyer.password, newPassword: 'another-long-password' }, token: buyer.token });
    } finally {
      hasher.release();
    }

    expectProblem(refused, 503, 'UNAVAILABLE', PASSWORD_PATH);
    expect(refused.body.detail).to.match(/busy checking passwords/);
    expect(refused.headers.get('retry-after')).to.match(/^[1-9]\d*$/);
    expect((await Promise.all(admitted)).map((r) => r.status)).to.deep.equal([200, 200]);
    // Nothing changed: the token still works and the old password still logs in.
    expect((await t.api.get('/api/v1/users/me', { token: buyer.token })).status).to.equal(200);
    expect((await logIn()).status).to.equal(200);
  });
});

describe('e2e: sign-ups per client address (RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP=2)', function () {
  let t: TestService;
  let clock: ManualClock;
  /** A client address of its own for each test, named in X-Forwarded-For (TRUST_PROXY=loopback). */
  let address = 0;
  const from = () => `198.18.0.${(address += 1)}`;

  before(async function () {
    // A clock that stands still: the limit's minute never rolls over in the middle of a test.
    clock = new ManualClock();
    t = await startTestService({ persistence: 'memory', clock, env: { RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP: '2', TRUST_PROXY: 'loopback' } });
  });
  after(async function () {
    await t?.stop();
  });

  const signUp = (client: string, body: object = signUpBody('limited'), headers: Record<string, string> = {}) =>
    t.api.post(SIGNUP, body, { headers: { 'X-Forwarded-For': client, ...headers } });

  it('the 3rd sign-up in a minute from one address is 429 RATE_LIMITED with Retry-After, and creates nothing; another address goes on', async function () {
    const client = from();
    expect((await signUp(client)).status).to.equal(201);
    expect((await signUp(client)).status).to.equal(201);
    const body = signUpBody('refused');
    const res = await signUp(client, body);
    expectProblem(res, 429, 'RATE_LIMITED', SIGNUP);
    expect(Number(res.headers.get('retry-after'))).to.be.within(1, 60);
    expect((await signUp(from(), body)).status, 'the refused e-mail was not taken').to.equal(201);
  });

  it('a replayed sign-up (same Idempotency-Key and body) is never refused, nor counted', async function () {
    const client = from();
    const body = signUpBody('replayed');
    const headers = { 'Idempotency-Key': uniqueName('replayed') };
    const first = await signUp(client, body, headers);
    expect(first.status).to.equal(201);
    expect((await signUp(client)).status).to.equal(201);
    expectProblem(await signUp(client), 429, 'RATE_LIMITED', SIGNUP);

    const replay = await signUp(client, body, headers);
    expect(replay.status).to.equal(201);
    expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    expect(replay.body).to.deep.equal(first.body);
  });

  it('the next minute the address may sign up again', async function () {
    const client = from();
    await signUp(client);
    await signUp(client);
    expectProblem(await signUp(client), 429, 'RATE_LIMITED', SIGNUP);
    clock.advance(60_000);
    expect((await signUp(client)).status).to.equal(201);
  });
});
