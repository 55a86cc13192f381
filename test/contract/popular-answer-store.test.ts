import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { InProcessPopularAnswerStore } from '../../src/adapters/memory/popular-answer-store.js';
import { RedisPopularAnswerStore } from '../../src/adapters/redis/redis-popular-answer-store.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from '../support/clock.js';
import { requireRedis, type TestRedis, unreachableRedis } from '../support/redis.js';
import { uniqueToken } from './contract-support.js';
import { popularAnswerStoreContract } from './popular-answer-store.contract.js';

describe('PopularAnswerStore contract', function () {
  describe('in-process adapter', function () {
    popularAnswerStoreContract(async () => {
      const clock = new ManualClock();
      return { store: new InProcessPopularAnswerStore(clock), passTime: async (ms) => clock.advance(ms) };
    });
  });

  describe('Redis adapter', function () {
    let redis: TestRedis;
    const logger = createLogger('error', true);

    before(async function () {
      redis = await requireRedis(this);
    });

    // Redis keeps its own time: a claim's ttl really has to be waited for.
    popularAnswerStoreContract(async () => ({ store: new RedisPopularAnswerStore(redis.connect(), logger), passTime: (ms) => sleep(ms) }));

    it('instances sharing one Redis share answers and claims', async function () {
      const first = new RedisPopularAnswerStore(redis.connect(), logger);
      const second = new RedisPopularAnswerStore(redis.connect(), logger);
      const key = uniqueToken('popular');
      const claim = await first.claim(key, 10_000);
      expect(await second.claim(key, 10_000)).to.equal(null);
      expect((await second.read(key)).aggregating).to.equal(true);
      await first.store(key, { value: { days: 1 }, computedAt: 42 }, 60, claim);
      expect(await second.read(key)).to.deep.equal({ answer: { value: { days: 1 }, computedAt: 42 }, aggregating: false });
    });

    it('Redis down: reads find nothing, claims are granted (everyone computes), writes are dropped without an error', async function () {
      const store = new RedisPopularAnswerStore(unreachableRedis(), logger);
      const key = uniqueToken('popular');
      expect(await store.read(key)).to.deep.equal({ answer: null, aggregating: false });
      const claim = await store.claim(key, 10_000);
      expect(claim).to.not.equal(null);
      await store.store(key, { value: 1, computedAt: 1 }, 60, claim);
      await store.release(claim!);
    });
  });
});
