import { expect } from 'chai';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import sinon from 'sinon';
import type { ProductSalesRepository } from '../../src/domain/sales/product-sales-repository.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import type { ManualClock } from '../support/clock.js';
import { uniqueName } from '../support/environment.js';
import { requireRedis, unreachableRedis } from '../support/redis.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { OrderingClient } from './orders-support.js';
import { DAY_MS, expectPopular, popularOf, salesClock } from './sales-support.js';

const TTL_SECONDS = 60;
const RECOMPUTE_DELAY_MS = 300;

// The popular-products cache on Redis: two instances sharing the database and Redis share one
// answer, and when it expires one of them recomputes while both keep serving the stale answer.
describe('e2e: popular products cached on Redis, two instances', function () {
  let clients: Redis[] = [];
  let a: TestService;
  let b: TestService;
  let clock: ManualClock;
  let o: OrderingClient;
  let buyer: Account;

  before(async function () {
    const redis = await requireRedis(this);
    // Popular answers are kept per (days, limit): a key prefix of this suite's own keeps other
    // suites of the run (on other clocks) from sharing them.
    const prefix = `${redis.prefix}${uniqueName('sales')}:`;
    clients = [0, 1].map(() => new Redis(redis.url, { keyPrefix: prefix, maxRetriesPerRequest: 1 }));
    clock = salesClock();
    const env = { POPULAR_CACHE_TTL_SECONDS: String(TTL_SECONDS) };
    a = await startTestService({ persistence: 'postgres', redis: clients[0]!, clock, env });
    b = await startTestService({ persistence: 'postgres', redis: clients[1]!, clock, env });
    o = new OrderingClient(a);
  });
  after(async function () {
    await a?.stop();
    await b?.stop();
    for (const client of clients) client.disconnect();
  });
  beforeEach(async function () {
    clock.advance(10 * DAY_MS);
    buyer = await o.buyerWith(1_000_000);
  });
  afterEach(function () {
    sinon.restore();
  });

  const salesOf = (t: TestService) => resolve(t.service.container, TOKENS.sales);
  const stateOn = (t: TestService) => resolve(t.service.container, TOKENS.getPopularProducts).state({ days: 3, limit: 5 });
  /** Counts ranking queries on an instance, each made slow enough for a crowd to arrive meanwhile. */
  const slowAndCounted = (sales: ProductSalesRepository) => {
    const original = sales.popular.bind(sales);
    return sinon.stub(sales, 'popular').callsFake(async (window, limit) => {
      await sleep(RECOMPUTE_DELAY_MS);
      return original(window, limit);
    });
  };

  it('what one instance computed, the other serves without computing', async function () {
    const listing = await o.listing({ price: 10_000 });
    await o.paidOrder(buyer, listing, 2);
    const counted = slowAndCounted(salesOf(b));
    const fromA = expectPopular(await popularOf(a));
    expect(fromA.items.map((i) => [i.product.id, i.soldQuantity])).to.deep.equal([[listing.product.id, 2]]);
    expect(await stateOn(b)).to.equal('CACHE_UPDATED');
    expect(expectPopular(await popularOf(b))).to.deep.equal(fromA);
    expect(counted.callCount).to.equal(0);
  });

  it('expired: a crowd on both instances causes one recomputation; the others get the stale answer meanwhile', async function () {
    const listing = await o.listing({ price: 10_000 });
    await o.paidOrder(buyer, listing, 1);
    const stale = expectPopular(await popularOf(a));
    await o.paidOrder(buyer, listing, 2);
    clock.advance(TTL_SECONDS * 1000);
    expect(await stateOn(b)).to.equal('EXPIRED');

    const onA = slowAndCounted(salesOf(a));
    const onB = slowAndCounted(salesOf(b));
    const crowd = await Promise.all(Array.from({ length: 24 }, (_, i) => popularOf(i % 2 === 0 ? a : b)));
    const answers = crowd.map(expectPopular);

    expect(onA.callCount + onB.callCount, 'ranking queries').to.equal(1);
    const fresh = answers.filter((x) => x.generatedAt === clock.now().toISOString());
    const old = answers.filter((x) => x.generatedAt === stale.generatedAt);
    expect(fresh.length + old.length, 'every answer is the stale or the new one').to.equal(answers.length);
    expect(fresh.length, 'the recomputing caller got the new answer').to.be.at.least(1);
    expect(old.length, 'the others were served the stale answer').to.be.at.least(1);
    for (const answer of old) expect(answer).to.deep.equal(stale);
    expect(fresh[0]!.items.map((i) => i.soldQuantity)).to.deep.equal([3]);
    expect(await stateOn(a)).to.equal('CACHE_UPDATED');
    expect(expectPopular(await popularOf(b))).to.deep.equal(fresh[0]);
  });

  it('while one instance recomputes, the other reports AGGREGATING', async function () {
    const listing = await o.listing({ price: 10_000 });
    await o.paidOrder(buyer, listing, 1);
    expectPopular(await popularOf(a));
    clock.advance(TTL_SECONDS * 1000);
    const counted = slowAndCounted(salesOf(a));
    const recomputing = popularOf(a);
    // Poll until A holds the claim, for at most the recomputation's delay.
    let state = await stateOn(b);
    for (let i = 0; i < 20 && state !== 'AGGREGATING'; i++) {
      await sleep(10);
      state = await stateOn(b);
    }
    expect(state).to.equal('AGGREGATING');
    expectPopular(await recomputing);
    expect(counted.callCount).to.equal(1);
    expect(await stateOn(b)).to.equal('CACHE_UPDATED');
  });
});

describe('e2e: popular products with Redis down', function () {
  let t: TestService;

  before(async function () {
    t = await startTestService({ persistence: 'postgres', redis: unreachableRedis(), clock: salesClock() });
  });
  after(async function () {
    await t?.stop();
  });

  it('answers from the database (200), never an error', async function () {
    const o = new OrderingClient(t);
    const buyer = await o.buyerWith(100_000);
    const listing = await o.listing({ price: 10_000 });
    await o.paidOrder(buyer, listing, 2);
    const answer = expectPopular(await popularOf(t));
    expect(answer.items.map((i) => [i.product.id, i.soldQuantity])).to.deep.equal([[listing.product.id, 2]]);
  });
});
