import { expect } from 'chai';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import sinon from 'sinon';
import { MemoryFailureLimiter } from '../../src/adapters/memory/failure-limiter.js';
import { RedisFailureLimiter } from '../../src/adapters/redis/redis-failure-limiter.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from '../support/clock.js';
import { requireRedis, type TestRedis, unreachableRedis } from '../support/redis.js';
import { uniqueToken } from './contract-support.js';
import { CONTRACT_POLICY, failureLimiterContract } from './failure-limiter.contract.js';

describe('FailureLimiter contract', function () {
  describe('memory adapter', function () {
    failureLimiterContract(async (policy) => {
      const clock = new ManualClock();
      return {
        limiter: new MemoryFailureLimiter(policy, clock),
        passTime: async (ms) => clock.advance(ms),
      };
    });
  });

  describe('Redis adapter', function () {
    let redis: TestRedis;
    let client: Redis;
    const logger = createLogger('error', true);

    before(async function () {
      redis = await requireRedis(this);
      client = redis.connect();
    });

    // Redis keeps its own time: the block's expiry really has to be waited for.
    failureLimiterContract(async (policy) => ({
      limiter: new RedisFailureLimiter(client, policy, logger),
      passTime: async (ms) => {
        await sleep(ms);
      },
    }));

    it('shares the count between instances: failures through one block the other', async function () {
      const first = new RedisFailureLimiter(redis.connect(), CONTRACT_POLICY, logger);
      const second = new RedisFailureLimiter(redis.connect(), CONTRACT_POLICY, logger);
      const subject = uniqueToken('shared');

      for (let i = 0; i < CONTRACT_POLICY.threshold - 1; i += 1) await first.recordFailure('login', subject);
      expect(await second.blockedFor('login', subject)).to.equal(0);
      await second.recordFailure('login', subject);

      for (const instance of [first, second]) {
        const seconds = await instance.blockedFor('login', subject);
        expect(seconds).to.be.within(CONTRACT_POLICY.blockSeconds - 1, CONTRACT_POLICY.blockSeconds);
      }
    });

    it('shares resets between instances', async function () {
      const first = new RedisFailureLimiter(redis.connect(), CONTRACT_POLICY, logger);
      const second = new RedisFailureLimiter(redis.connect(), CONTRACT_POLICY, logger);
      const subject = uniqueToken('shared-reset');

      for (let i = 0; i < CONTRACT_POLICY.threshold - 1; i += 1) await first.recordFailure('login', subject);
      await second.reset('login', subject);
      await first.recordFailure('login', subject);

      expect(await first.blockedFor('login', subject)).to.equal(0);
      expect(await second.blockedFor('login', subject)).to.equal(0);
    });

    it('fails open when Redis cannot be reached: every call resolves, nothing is blocked, and it says so in the log', async function () {
      const unreachable = unreachableRedis();
      const quietLogger = createLogger('error', true);
      const warn = sinon.spy(quietLogger, 'warn');
      const limiter = new RedisFailureLimiter(unreachable, { threshold: 1, blockSeconds: 600 }, quietLogger);
      const subject = uniqueToken('offline');

      try {
        await limiter.recordFailure('login', subject);
        await limiter.recordFailure('login', subject);
        expect(await limiter.blockedFor('login', subject)).to.equal(0);
        await limiter.reset('login', subject);
      } finally {
        unreachable.disconnect();
      }

      expect(warn.callCount).to.equal(4);
      expect(warn.getCalls().map((call) => call.args[1]?.['operation'])).to.deep.equal([
        'recordFailure',
        'recordFailure',
        'blockedFor',
        'reset',
      ]);
    });
  });
});
