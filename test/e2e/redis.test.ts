import { expect } from 'chai';
import { Redis } from 'ioredis';
import { requireRedis, unreachableRedis } from '../support/redis.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectProblem } from './problem.js';

const LOGIN = '/api/v1/auth/login';

describe('e2e: when Redis is down', function () {
  let t: TestService;
  let deadRedis: Redis;

  before(async function () {
    // Nothing listens on port 1: every command fails at once, as with Redis gone.
    deadRedis = unreachableRedis();
    t = await startTestService({ redis: deadRedis, env: { FAILURE_BLOCK_THRESHOLD: '3' } });
  });
  after(async function () {
    await t?.stop();
    deadRedis?.disconnect();
  });

  it('GET /health/ready stays 200 and reports {status: "degraded", checks: {database: "up", redis: "down"}}', async function () {
    const res = await t.api.get('/health/ready');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'degraded', checks: { database: 'up', redis: 'down' } });
  });

  it('GET /health/live is still 200 {status: "ok"}', async function () {
    const res = await t.api.get('/health/live');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('login still works, and a wrong password is still 401 (the failure limit fails open, not shut)', async function () {
    const buyer = await t.newBuyer();
    expectProblem(await t.api.post(LOGIN, { email: buyer.email, password: 'wrong-password-1' }), 401, 'UNAUTHENTICATED', LOGIN);
    const res = await t.api.post(LOGIN, { email: buyer.email, password: buyer.password });
    expect(res.status).to.equal(200);
    expect(res.body.tokenType).to.equal('Bearer');
  });

  it('with the limit failing open, wrong passwords past the threshold do not lock the account', async function () {
    const buyer = await t.newBuyer();
    for (let i = 1; i <= 4; i++) {
      expect((await t.api.post(LOGIN, { email: buyer.email, password: `wrong-password-${i}` })).status).to.equal(401);
    }
    expect((await t.api.post(LOGIN, { email: buyer.email, password: buyer.password })).status).to.equal(200);
  });

  it('the wallet still works', async function () {
    const buyer = await t.newBuyer();
    const res = await t.api.post('/api/v1/balances/charge', { amount: 1_000 }, { token: buyer.token, headers: { 'Idempotency-Key': `redis-down-${buyer.id}` } });
    expect(res.status).to.equal(200);
    expect(res.body.balance).to.equal(1_000);
  });
});

describe('e2e: with a real Redis shared by two instances', function () {
  let a: TestService;
  let b: TestService;

  before(async function () {
    const redis = await requireRedis(this);
    // Two instances: one database, one Redis, each with its own client, as on two machines.
    const env = { FAILURE_BLOCK_THRESHOLD: '3' };
    a = await startTestService({ redis: redis.connect(), env });
    b = await startTestService({ redis: redis.connect(), env });
  });
  after(async function () {
    await a?.stop();
    await b?.stop();
  });

  it('GET /health/ready reports {status: "ok", checks: {database: "up", redis: "up"}} on both', async function () {
    for (const t of [a, b]) {
      const res = await t.api.get('/health/ready');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok', checks: { database: 'up', redis: 'up' } });
    }
  });

  it('the login block (FAILURE_BLOCK_THRESHOLD=3) counts failures across both instances and holds on both', async function () {
    const buyer = await a.newBuyer();
    // Neither instance alone sees 3 failures: A sees two, B one.
    for (const t of [a, b, a]) {
      expectProblem(await t.api.post(LOGIN, { email: buyer.email, password: 'wrong-password-x' }), 401, 'UNAUTHENTICATED', LOGIN);
    }

    for (const t of [b, a]) {
      const res = await t.api.post(LOGIN, { email: buyer.email, password: buyer.password });
      expectProblem(res, 429, 'TOO_MANY_FAILURES', LOGIN);
      expect(res.headers.get('retry-after')).to.match(/^\d+$/);
      expect(Number(res.headers.get('retry-after'))).to.be.within(1, 600);
    }
  });

  it('two failures then a success on the other instance resets the count', async function () {
    const buyer = await a.newBuyer();
    for (const t of [a, b]) {
      expect((await t.api.post(LOGIN, { email: buyer.email, password: 'wrong-password-y' })).status).to.equal(401);
    }
    expect((await b.api.post(LOGIN, { email: buyer.email, password: buyer.password })).status).to.equal(200);
    for (const t of [b, a]) {
      expect((await t.api.post(LOGIN, { email: buyer.email, password: 'wrong-password-z' })).status).to.equal(401);
    }
    expect((await a.api.post(LOGIN, { email: buyer.email, password: buyer.password })).status).to.equal(200);
  });

  it('a token issued by one instance is accepted by the other (same secret, stateless JWT)', async function () {
    const buyer = await a.newBuyer();
    const res = await b.api.get('/api/v1/users/me', { token: buyer.token });
    expect(res.status).to.equal(200);
    expect(res.body.id).to.equal(buyer.id);
  });
});
