import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { ManualClock } from '../support/clock.js';
import { uniqueEmail } from '../support/environment.js';
import { requireRedis } from '../support/redis.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { expectProblem } from './problem.js';

const LOGIN = '/api/v1/auth/login';

/** A client address no other test of this file uses (TEST-NET and benchmark ranges). */
let lastAddress = 0;
const newAddress = () => {
  lastAddress += 1;
  return `198.19.${Math.floor(lastAddress / 250)}.${(lastAddress % 250) + 1}`;
};

/** A login as a client at `address` (through a proxy on loopback, which TRUST_PROXY=loopback believes). */
const logInFrom = (t: TestService, address: string, email: string, password: string) =>
  t.api.post(LOGIN, { email, password }, { headers: { 'X-Forwarded-For': address } });

function expectBlocked(res: Awaited<ReturnType<typeof logInFrom>>, detail: RegExp): void {
  expectProblem(res, 429, 'TOO_MANY_FAILURES', LOGIN);
  expect(res.body.detail).to.match(detail);
  expect(Number(res.headers.get('retry-after'))).to.be.within(1, 600);
}

for (const variant of ['in-process counters', 'Redis counters'] as const) {
  describe(`e2e: login failures count per client address, not per account (${variant})`, function () {
    let t: TestService;
    let redis: Redis | null = null;

    before(async function () {
      if (variant === 'Redis counters') redis = (await requireRedis(this)).connect();
      t = await startTestService({
        persistence: variant === 'Redis counters' ? 'postgres' : 'memory',
        redis,
        env: { TRUST_PROXY: 'loopback', FAILURE_BLOCK_THRESHOLD: '5', LOGIN_FAILURES_PER_ADDRESS: '20' },
      });
    });
    after(async function () {
      await t?.stop();
    });

    it('an attacker’s address is blocked on the account after 5 wrong passwords; the owner, from another address, still logs in; the attacker stays blocked', async function () {
      const owner: Account = await t.newBuyer();
      const [attacker, home] = [newAddress(), newAddress()];
      for (let i = 1; i <= 5; i += 1) {
        expectProblem(await logInFrom(t, attacker, owner.email, `wrong-password-${i}`), 401, 'UNAUTHENTICATED', LOGIN);
      }
      expectBlocked(await logInFrom(t, attacker, owner.email, owner.password), /this account from this address/);

      const res = await logInFrom(t, home, owner.email, owner.password);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.accessToken).to.be.a('string');

      expectBlocked(await logInFrom(t, attacker, owner.email, owner.password), /this account from this address/);
    });

    it('the start-up ADMIN cannot be locked out either', async function () {
      const attacker = newAddress();
      for (let i = 1; i <= 6; i += 1) await logInFrom(t, attacker, t.admin.email, `wrong-password-${i}`);
      expect((await logInFrom(t, newAddress(), t.admin.email, t.admin.password)).status).to.equal(200);
    });

    it('one address failing on 20 different accounts is blocked from every login, its own right password included; other addresses log in', async function () {
      const stuffer = newAddress();
      const own: Account = await t.newBuyer();
      // A correct login in the middle resets nothing of the address's count.
      for (let i = 1; i <= 19; i += 1) {
        expectProblem(await logInFrom(t, stuffer, uniqueEmail('victim'), 'guessed-password'), 401, 'UNAUTHENTICATED', LOGIN);
      }
      expect((await logInFrom(t, stuffer, own.email, own.password)).status).to.equal(200);
      expectProblem(await logInFrom(t, stuffer, uniqueEmail('victim'), 'guessed-password'), 401, 'UNAUTHENTICATED', LOGIN);

      expectBlocked(await logInFrom(t, stuffer, own.email, own.password), /from this address/);
      expect((await logInFrom(t, newAddress(), own.email, own.password)).status).to.equal(200);
      expectBlocked(await logInFrom(t, stuffer, own.email, own.password), /from this address/);
    });
  });
}

describe('e2e: the client address without TRUST_PROXY is the socket’s, X-Forwarded-For ignored', function () {
  let t: TestService;

  before(async function () {
    t = await startTestService({ persistence: 'memory', env: { FAILURE_BLOCK_THRESHOLD: '3' } });
  });
  after(async function () {
    await t?.stop();
  });

  it('a client naming other addresses in X-Forwarded-For is still one client: blocked on the account after 3 failures whatever it names', async function () {
    const owner = await t.newBuyer();
    for (let i = 1; i <= 3; i += 1) {
      expectProblem(await logInFrom(t, newAddress(), owner.email, `wrong-password-${i}`), 401, 'UNAUTHENTICATED', LOGIN);
    }
    expectBlocked(await logInFrom(t, newAddress(), owner.email, owner.password), /this account from this address/);
  });
});

describe('e2e: with TRUST_PROXY, what X-Forwarded-For holds must be an address', function () {
  let t: TestService;

  before(async function () {
    t = await startTestService({ persistence: 'memory', env: { TRUST_PROXY: 'loopback', FAILURE_BLOCK_THRESHOLD: '3' } });
  });
  after(async function () {
    await t?.stop();
  });

  it('anything else is not taken as a new client: the socket’s address is used, so made-up names do not dodge the block', async function () {
    const owner = await t.newBuyer();
    for (let i = 1; i <= 3; i += 1) {
      expectProblem(await logInFrom(t, `made-up-${i}`, owner.email, `wrong-password-${i}`), 401, 'UNAUTHENTICATED', LOGIN);
    }
    expectBlocked(await logInFrom(t, 'made-up-4', owner.email, owner.password), /this account from this address/);
    // A real address behind the trusted proxy is another client.
    expect((await logInFrom(t, newAddress(), owner.email, owner.password)).status).to.equal(200);
  });
});

describe('e2e: logins per client address (RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP=3)', function () {
  let t: TestService;
  let clock: ManualClock;

  before(async function () {
    // A clock that stands still: the limit's minute never rolls over in the middle of a test.
    clock = new ManualClock();
    t = await startTestService({ persistence: 'memory', clock, env: { TRUST_PROXY: 'loopback', RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP: '3' } });
  });
  after(async function () {
    await t?.stop();
  });

  it('the 4th login attempt in a minute from an address is 429 RATE_LIMITED with Retry-After, right password or not; other addresses go on; the next minute it may again', async function () {
    const buyer = await t.newBuyer();
    const client = newAddress();
    expect((await logInFrom(t, client, buyer.email, buyer.password)).status).to.equal(200);
    expect((await logInFrom(t, client, buyer.email, 'wrong-password')).status).to.equal(401);
    expect((await logInFrom(t, client, buyer.email, buyer.password)).status).to.equal(200);

    const res = await logInFrom(t, client, buyer.email, buyer.password);
    expectProblem(res, 429, 'RATE_LIMITED', LOGIN);
    expect(Number(res.headers.get('retry-after'))).to.be.within(1, 60);
    expect((await logInFrom(t, newAddress(), buyer.email, buyer.password)).status).to.equal(200);

    clock.advance(60_000);
    expect((await logInFrom(t, client, buyer.email, buyer.password)).status).to.equal(200);
  });
});
