import { expect } from 'chai';
import { uniqueEmail } from '../support/environment.js';
import { ManualClock } from '../support/clock.js';
import { requireRedis } from '../support/redis.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { expectProblem } from './problem.js';

const CHARGE = '/api/v1/balances/charge';
const SIGNUP = '/api/v1/auth/signup';
const LIMIT = 3;

describe('e2e: new Idempotency-Keys are rate-limited (RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE)', function () {
  let t: TestService;
  let clock: ManualClock;
  let buyer: Account;

  // A manual clock: the limit's windows are fixed minutes, and no test may straddle two.
  beforeEach(async function () {
    clock = new ManualClock(new Date('2026-02-02T10:00:00.000Z'));
    t = await startTestService({ clock, env: { RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE: String(LIMIT) } });
    buyer = await t.newBuyer();
  });
  afterEach(async function () {
    await t?.stop();
  });

  const charge = (key: string | null, who: Account = buyer) =>
    t.api.post(CHARGE, { amount: 1_000 }, { token: who.token, headers: key === null ? {} : { 'Idempotency-Key': key } });
  const balanceOf = async (who: Account) => (await t.api.get('/api/v1/balances/me', { token: who.token })).body.balance as number;

  it('a user past the limit of new keys a minute gets 429 RATE_LIMITED with Retry-After, and nothing is charged', async function () {
    for (let i = 0; i < LIMIT; i += 1) expect((await charge(`key-${i}`)).status).to.equal(200);

    const refused = await charge('key-over');

    expectProblem(refused, 429, 'RATE_LIMITED', CHARGE);
    expect(Number(refused.headers.get('retry-after'))).to.equal(60);
    expect(await balanceOf(buyer)).to.equal(LIMIT * 1_000);
  });

  it('a replay is never refused, however far past the limit, and is not counted', async function () {
    for (let i = 0; i < LIMIT; i += 1) await charge(`key-${i}`);
    expectProblem(await charge('key-over'), 429, 'RATE_LIMITED', CHARGE);

    for (let i = 0; i < 5; i += 1) {
      const replay = await charge('key-0');
      expect(replay.status).to.equal(200);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    }
    expect(await balanceOf(buyer)).to.equal(LIMIT * 1_000);
  });

  it('requests without a key are not counted, and other users have their own count', async function () {
    for (let i = 0; i < LIMIT; i += 1) await charge(`key-${i}`);

    expect((await charge(null)).status, 'no key: nothing kept, nothing counted').to.equal(200);
    const other = await t.newBuyer();
    expect((await charge('key-0', other)).status).to.equal(200);
  });

  it('a refused key is not kept: once the minute turns, the same key runs', async function () {
    for (let i = 0; i < LIMIT; i += 1) await charge(`key-${i}`);
    expectProblem(await charge('key-over'), 429, 'RATE_LIMITED', CHARGE);

    clock.advance(60_000);
    const later = await charge('key-over');

    expect(later.status).to.equal(200);
    expect(later.headers.get('idempotent-replayed')).to.equal(null);
    expect(await balanceOf(buyer)).to.equal((LIMIT + 1) * 1_000);
  });

  it('anonymous sign-ups with keys are counted per client address: past the limit 429, a replay still 201', async function () {
    const bodies = Array.from({ length: LIMIT + 1 }, () => ({ email: uniqueEmail('keyed'), password: 'correct-horse-42', name: 'Keyed' }));
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await t.api.post(SIGNUP, bodies[i], { headers: { 'Idempotency-Key': `signup-${i}` } })).status).to.equal(201);
    }

    const refused = await t.api.post(SIGNUP, bodies[LIMIT], { headers: { 'Idempotency-Key': `signup-${LIMIT}` } });
    expectProblem(refused, 429, 'RATE_LIMITED', SIGNUP);
    expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
    const login = await t.api.post('/api/v1/auth/login', { email: bodies[LIMIT]!.email, password: 'correct-horse-42' });
    expect(login.status, 'the refused sign-up created no account').to.equal(401);

    const replay = await t.api.post(SIGNUP, bodies[0], { headers: { 'Idempotency-Key': 'signup-0' } });
    expect(replay.status).to.equal(201);
    expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    // Sign-ups without a key keep nothing and are not counted.
    expect((await t.api.post(SIGNUP, { email: uniqueEmail('unkeyed'), password: 'correct-horse-42', name: 'Unkeyed' })).status).to.equal(201);
  });
});

describe('e2e: the new-key limit holds across instances sharing Redis', function () {
  let a: TestService;
  let b: TestService;

  before(async function () {
    const redis = await requireRedis(this);
    // One clock for both, as one wall clock: the window is named by it in Redis.
    const clock = new ManualClock(new Date('2026-02-03T10:00:00.000Z'));
    const env = { RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE: String(LIMIT) };
    a = await startTestService({ clock, env, redis: redis.connect() });
    b = await startTestService({ clock, env, redis: redis.connect() });
  });
  after(async function () {
    await a?.stop();
    await b?.stop();
  });

  it('keys claimed on one instance count on the other', async function () {
    const buyer = await a.newBuyer();
    const charge = (t: TestService, key: string) =>
      t.api.post(CHARGE, { amount: 1_000 }, { token: buyer.token, headers: { 'Idempotency-Key': key } });

    expect((await charge(a, 'k1')).status).to.equal(200);
    expect((await charge(b, 'k2')).status).to.equal(200);
    expect((await charge(a, 'k3')).status).to.equal(200);

    expectProblem(await charge(b, 'k4'), 429, 'RATE_LIMITED', CHARGE);
    expectProblem(await charge(a, 'k5'), 429, 'RATE_LIMITED', CHARGE);
    expect((await charge(b, 'k1')).headers.get('idempotent-replayed'), 'a replay on the other instance').to.equal('true');
  });
});
