import { expect } from 'chai';
import type { Redis } from 'ioredis';
import sinon from 'sinon';
import { MemoryRateLimiter } from '../../src/adapters/memory/rate-limiter.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from '../support/clock.js';
import { requireRedis, type TestRedis, unreachableRedis } from '../support/redis.js';
import { uniqueToken } from './contract-support.js';
import { CONTRACT_LIMITS, rateLimiterContract } from './rate-limiter.contract.js';

describe('RateLimiter contract', function () {
  describe('memory adapter', function () {
    rateLimiterContract(async (limits, clock) => ({ limiter: new MemoryRateLimiter(limits, clock) }));
  });

  describe('Redis adapter', function () {
    let redis: TestRedis;
    let client: Redis;
    const logger = createLogger('error', true);

    before(async function () {
      redis = await requireRedis(this);
      client = redis.connect();
    });

    // The window is the clock's (the key names it), so a manual clock drives Redis too.
    rateLimiterContract(async (limits, clock) => ({ limiter: new RedisRateLimiter(client, limits, clock, logger) }));

    it('shares counts between instances: takes through one count against the other', async function () {
      const clock = new ManualClock(new Date('2026-01-15T09:00:00.000Z'));
      const first = new RedisRateLimiter(redis.connect(), CONTRACT_LIMITS, clock, logger);
      const second = new RedisRateLimiter(redis.connect(), CONTRACT_LIMITS, clock, logger);
      const subject = uniqueToken('shared-rate');

      expect(await first.take('orders', subject)).to.equal(0);
      expect(await second.take('orders', subject)).to.equal(0);
      expect(await first.take('orders', subject)).to.equal(0);
      expect(await second.take('orders', subject)).to.equal(10);
      expect(await first.take('orders', subject)).to.equal(10);

      clock.advance(10_000);
      expect(await second.take('orders', subject)).to.equal(0);
    });

    it("keeps one counter per window, named rate:<action>:<subject>:<window>, gone soon after the window's end", async function () {
      const clock = new ManualClock(new Date('2026-01-15T09:00:04.000Z'));
      const limiter = new RedisRateLimiter(client, CONTRACT_LIMITS, clock, logger);
      const subject = uniqueToken('rate-key');

      await limiter.take('orders', subject);
      await limiter.take('orders', subject);

      const key = `rate:orders:${subject}:${Math.floor(clock.now().getTime() / 10_000)}`;
      expect(await client.get(key)).to.equal('2');
      const ttl = await client.pttl(key);
      // 6 s of the window left, plus a second for clocks that lag a little.
      expect(ttl).to.be.within(6_000, 7_000);
    });

    it('fails open when Redis cannot be reached: every take is allowed, and it says so in the log', async function () {
      const unreachable = unreachableRedis();
      const quiet = createLogger('error', true);
      const warn = sinon.spy(quiet, 'warn');
      const limiter = new RedisRateLimiter(unreachable, { orders: { limit: 1, windowMs: 1_000 } }, new ManualClock(), quiet);
      const subject = uniqueToken('rate-offline');

      try {
        expect(await limiter.take('orders', subject)).to.equal(0);
        expect(await limiter.take('orders', subject)).to.equal(0);
        expect(await limiter.take('orders', subject)).to.equal(0);
      } finally {
        unreachable.disconnect();
      }

      expect(warn.callCount).to.equal(3);
      expect(warn.firstCall.args[1]).to.include({ action: 'orders' });
    });
  });
});
